import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env';
import { defaultMappingSettings, type MappingSettings } from '../../src/config/mapping-settings';
import { createLogger } from '../../src/logging/logger';
import type { RunStatus } from '../../src/engine/run-status';
import type { RunCounters } from '../../src/engine/run-types';
import { createService, type Service } from '../../src/service';
import type { EmulatorRecords, EmulatorStats, RejectedRequest } from './klaviyo-answers';
import type { SyncAnswer } from './service-answers';

export interface RunningService {
  url: string;
  service: Service;
  /** Every log line the service wrote, as JSON text. */
  logLines: string[];
  close(): Promise<void>;
}

/** Starts the real service in this process, configured from environment variables (the sandbox's). */
export async function startService(
  env: Record<string, string>,
  options: { settings?: Partial<MappingSettings>; extraEnv?: Record<string, string> } = {},
): Promise<RunningService> {
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const config = loadConfig({ ...env, ...options.extraEnv });
  const logger = createLogger('debug', destination);
  const service = createService(config, logger, {
    settings: { ...defaultMappingSettings(), ...options.settings },
    retryPolicy: { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 },
  });
  const { port } = await service.listen(0);
  return { url: `http://127.0.0.1:${port}`, service, logLines, close: () => service.close(5_000) };
}

/** An HTTP answer with its JSON body, typed as the caller expects it (undefined when empty). */
export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
}

/** The parsed JSON of a body, as the type the caller expects; undefined for an empty body. */
function parseBody<T>(text: string): T {
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function http<T = unknown>(
  url: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: parseBody<T>(text) };
}

/**
 * A GET on Klaviyo's public API at the emulator, as a client reads it: a 429 (the emulator
 * enforces Klaviyo's rate limits) is waited out as its Retry-After says and asked again, so a
 * test's own verification never depends on how many requests fit into a rate-limit window.
 */
export async function klaviyoApiGet<T = unknown>(
  env: Record<string, string>,
  pathOrUrl: string,
  timeoutMs = 120_000,
): Promise<HttpAnswer<T>> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${env.KLAVIYO_API_URL}${pathOrUrl}`;
  const headers = {
    Authorization: `Klaviyo-API-Key ${env.KLAVIYO_AUTH_KEY}`,
    revision: '2026-07-15',
    accept: 'application/vnd.api+json',
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url, { headers });
    const text = await response.text();
    if (response.status !== 429 || Date.now() > deadline) return { status: response.status, body: parseBody<T>(text) };
    const retryAfterSeconds = Number(response.headers.get('retry-after')) || 1;
    await new Promise((resolve) => setTimeout(resolve, retryAfterSeconds * 1_000));
  }
}

/** Polls `probe` until it returns a value other than undefined; fails naming `what` after `timeoutMs`. */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls an import's status until `accept` holds for it; answers that status. */
export function waitForStatus(
  serviceUrl: string,
  type: string,
  what: string,
  accept: (status: RunStatus) => boolean,
  timeoutMs = 60_000,
): Promise<RunStatus> {
  return pollUntil(
    what,
    async () => {
      const { status, body } = await http<RunStatus>(`${serviceUrl}/sync/${type}/status`);
      return status === 200 && accept(body) ? body : undefined;
    },
    timeoutMs,
  );
}

/** Polls the status of an import until it reaches one of `states`. */
export async function waitForState(
  serviceUrl: string,
  type: string,
  states: string[],
  timeoutMs = 120_000,
): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await http<RunStatus>(`${serviceUrl}/sync/${type}/status`);
    if (states.includes(body.state)) return body;
    if (Date.now() > deadline) throw new Error(`${type} import still ${body.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts an import over the HTTP API, which answers 202 with the run's id and where its status is; answers the id. */
export async function startImport(serviceUrl: string, type: string, body?: unknown): Promise<string> {
  const started = await http<SyncAnswer>(`${serviceUrl}/sync/${type}`, 'POST', body);
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ type, status: `/sync/${type}/status` });
  return started.body.runId!;
}

/** An ended run's status: it has its id and counters. */
export type EndedRun = RunStatus & { runId: string; counters: RunCounters };

/** Starts an import and polls its status until that run ended (completed, failed or stopped); answers that status. */
export async function runImport(
  serviceUrl: string,
  type: string,
  body?: unknown,
  timeoutMs = 120_000,
): Promise<EndedRun> {
  const runId = await startImport(serviceUrl, type, body);
  const status = await waitForState(serviceUrl, type, ['completed', 'failed', 'stopped'], timeoutMs);
  expect(status.runId).toBe(runId);
  return status as EndedRun;
}

/** The Klaviyo emulator's inspection API. */
export function emulatorInspector(klaviyoUrl: string) {
  return {
    stats: async () => (await http<EmulatorStats>(`${klaviyoUrl}/__emulator/stats`)).body,
    records: async <K extends keyof EmulatorRecords>(kind: K) =>
      (await http<{ data: EmulatorRecords[K][] }>(`${klaviyoUrl}/__emulator/records/${kind}`)).body.data,
    rejected: async () => (await http<{ data: RejectedRequest[] }>(`${klaviyoUrl}/__emulator/rejected`)).body.data,
    configure: async (config: unknown) => http(`${klaviyoUrl}/__emulator/config`, 'POST', config),
    reset: async () => http(`${klaviyoUrl}/__emulator/reset`, 'POST', {}),
  };
}
