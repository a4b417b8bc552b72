import type { VersionedStore } from '../clients/commercetools/custom-objects';
import type { ImportType } from './run-types';

/** Container and keys of the original module, so the two never run over each other. */
export const lockContainer = 'klaviyo-ct-plugin-lock';
export const lockKeys: Record<ImportType, string> = {
  customers: 'customerFullSync',
  orders: 'orderFullSync',
  categories: 'categoryFullSync',
  products: 'productFullSync',
};

export interface LockValue {
  /** The instance that holds the lock. */
  owner: string;
  /** The run it holds it for: versions restart after a delete, so only this tells two holders apart. */
  runId: string;
  startedAt: string;
  expiresAt: string;
}

/** Who holds a lock, as a status shows it. The original module's plain "1" never expires. */
export type LockHolder = { kind: 'run'; value: LockValue } | { kind: 'legacy'; value: unknown };

export type AcquireResult = { acquired: true; lock: HeldLock } | { acquired: false; holder: LockHolder };

export type ClearResult = { cleared: boolean } | { refused: LockHolder };

/** A lock this instance holds; `value.expiresAt` moves with every heartbeat. */
export interface HeldLock {
  type: ImportType;
  value: LockValue;
}

/**
 * Write, re-read, write again: rounds a call makes before it gives up on a lock that keeps
 * changing under it (it then throws, and the caller tries again later).
 */
const maxRounds = 3;

/** True while a run's lock has not expired. The original module's lock has no expiry: not live, but never taken over. */
export function isLive(holder: LockHolder | undefined, now: Date): holder is { kind: 'run'; value: LockValue } {
  return holder?.kind === 'run' && Date.parse(holder.value.expiresAt) > now.getTime();
}

/**
 * One lock per import type in a commercetools custom object. Taking it is an atomic
 * create-if-absent (version 0); a heartbeat extends the expiry with a version-checked write, and
 * an expired lock (its owner crashed) is taken over the same way, so two instances never both win.
 *
 * Versions alone cannot tell holders apart: after a delete, a lock created anew starts again at
 * version 1. So a heartbeat or a release first reads the lock and writes only at the version of a
 * lock that names our instance and run; a conflict is looked at again the same way (it may be our
 * own write whose answer was lost, after which the lock is still ours). The lock is lost only when
 * it names another run. A lock deleted under a running import (a forced clear) is created again by
 * the next heartbeat; if another run created it first, that run has it and ours is lost.
 */
export class ImportLocks {
  constructor(
    private readonly store: VersionedStore,
    private readonly owner: string,
    /** How long a lock lives without a heartbeat. */
    readonly ttlMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async acquire(type: ImportType, runId: string, signal?: AbortSignal): Promise<AcquireResult> {
    const value = this.freshValue(runId, this.now().toISOString());
    const key = lockKeys[type];
    let expectedVersion = 0;
    for (let round = 0; round < maxRounds; round++) {
      const written = await this.store.write(lockContainer, key, value, expectedVersion, signal);
      if (written) return { acquired: true, lock: { type, value } };
      const existing = await this.store.get<unknown>(lockContainer, key, signal);
      if (!existing) {
        expectedVersion = 0;
        continue;
      }
      const holder = lockHolderOf(existing.value);
      if (this.isOurs(holder, runId)) return { acquired: true, lock: { type, value: holder.value } };
      if (holder.kind === 'legacy' || isLive(holder, this.now())) return { acquired: false, holder };
      // Expired: its owner died. Taking it over is version-checked like any other write.
      expectedVersion = existing.version;
    }
    throw new Error(`The ${type} lock kept changing while it was being taken; try again.`);
  }

  /** Extends the expiry. False when another run holds the lock now (ours was presumed dead and taken over). */
  async renew(lock: HeldLock, signal?: AbortSignal): Promise<boolean> {
    const value = this.freshValue(lock.value.runId, lock.value.startedAt);
    const key = lockKeys[lock.type];
    for (let round = 0; round < maxRounds; round++) {
      const current = await this.store.get<unknown>(lockContainer, key, signal);
      if (current) {
        const holder = lockHolderOf(current.value);
        if (!this.isOurs(holder, lock.value.runId)) return false;
        lock.value = holder.value;
        // A write of this heartbeat went through and only its answer was lost.
        if (holder.value.expiresAt === value.expiresAt) return true;
      }
      const written = await this.store.write(lockContainer, key, value, current ? current.version : 0, signal);
      if (written) {
        lock.value = value;
        return true;
      }
    }
    throw new Error(`The ${lock.type} lock kept changing while it was being renewed.`);
  }

  /**
   * Deletes the lock if it names this instance and `runId`; a lock another run holds by now is left
   * alone. Also gives back the lock of a failed start, which a write whose answer was lost may have created.
   */
  async release(type: ImportType, runId: string, signal?: AbortSignal): Promise<void> {
    const key = lockKeys[type];
    for (let round = 0; round < maxRounds; round++) {
      const current = await this.store.get<unknown>(lockContainer, key, signal);
      if (!current || !this.isOurs(lockHolderOf(current.value), runId)) return;
      const outcome = await this.store.delete(lockContainer, key, current.version, signal);
      if (outcome !== 'changed') return;
    }
    throw new Error(`The ${type} lock kept changing while it was being released.`);
  }

  async holder(type: ImportType, signal?: AbortSignal): Promise<LockHolder | undefined> {
    const existing = await this.store.get<unknown>(lockContainer, lockKeys[type], signal);
    return existing ? lockHolderOf(existing.value) : undefined;
  }

  /**
   * Removes a stale lock (expired, or the original module's): the documented way out. A live lock
   * is removed only with `force`; the version check keeps a lock taken in the meantime.
   */
  async clear(type: ImportType, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<ClearResult> {
    const key = lockKeys[type];
    for (let round = 0; round < maxRounds; round++) {
      const existing = await this.store.get<unknown>(lockContainer, key, options.signal);
      if (!existing) return { cleared: false };
      const holder = lockHolderOf(existing.value);
      if (!options.force && isLive(holder, this.now())) return { refused: holder };
      const outcome = await this.store.delete(lockContainer, key, existing.version, options.signal);
      if (outcome !== 'changed') return { cleared: outcome === 'deleted' };
    }
    throw new Error(`The ${type} lock kept changing while it was being cleared; try again.`);
  }

  private isOurs(holder: LockHolder, runId: string): holder is { kind: 'run'; value: LockValue } {
    return holder.kind === 'run' && holder.value.owner === this.owner && holder.value.runId === runId;
  }

  private freshValue(runId: string, startedAt: string): LockValue {
    const expiresAt = new Date(this.now().getTime() + this.ttlMs).toISOString();
    return { owner: this.owner, runId, startedAt, expiresAt };
  }
}

/** Who holds a lock, read from its stored value: a run of this service, or the original module. */
function lockHolderOf(value: unknown): LockHolder {
  const candidate = value as Partial<LockValue> | undefined;
  if (
    candidate &&
    typeof candidate === 'object' &&
    typeof candidate.expiresAt === 'string' &&
    typeof candidate.owner === 'string' &&
    typeof candidate.runId === 'string'
  ) {
    return { kind: 'run', value: candidate as LockValue };
  }
  return { kind: 'legacy', value };
}
