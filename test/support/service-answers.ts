/**
 * The service's JSON answers as the tests read them. Each names the fields of its cases; a test
 * checks the status code before it reads the fields that case carries.
 */
import type { RunStatus } from '../../src/engine/run-status';

export type { RunStatus };

/** A lock as an answer shows it: who holds it until when, or that the original module set it. */
export interface LockShown {
  owner?: string;
  runId?: string;
  startedAt?: string;
  expiresAt?: string;
  live?: boolean;
  legacy?: boolean;
  note?: string;
}

/** What a /sync route answers: a start (202), a stop, a cleared lock, or a refusal or error. */
export interface SyncAnswer {
  runId?: string;
  type?: string;
  mode?: string;
  /** On a start: where its status is. */
  status?: string;
  cleared?: boolean;
  error?: string;
  message?: string;
  platform?: string;
  lock?: LockShown;
  problems?: Array<{ field: string; message: string }>;
}

/** GET /readyz and GET /healthz. */
export interface ReadinessAnswer {
  status: string;
  error?: string;
  message?: string;
  checks: Array<{ platform: string; check: string; ok: boolean; error?: string }>;
}

/** GET /sync/status: every import's status. */
export interface AllStatusesAnswer {
  imports: RunStatus[];
}
