import type { CustomObjectStore } from '../clients/commercetools/custom-objects';
import type { ImportType } from './run-types';

/** Container and keys of the original module, so the two never run over each other. */
export const lockContainer = 'klaviyo-ct-plugin-lock';
export const lockKeys: Record<ImportType, string> = {
  customers: 'customerFullSync',
  orders: 'orderFullSync',
  categories: 'categoryFullSync',
  products: 'productFullSync',
};

interface LockValue {
  owner: string;
  runId: string;
  startedAt: string;
  expiresAt: string;
}

/** Who holds a lock, as a status shows it. The original module's plain "1" never expires. */
export type LockHolder = { kind: 'run'; value: LockValue } | { kind: 'legacy'; value: unknown };

type AcquireResult = { acquired: true; lock: HeldLock } | { acquired: false; holder: LockHolder };

/** A lock this instance holds; `version` moves with every heartbeat. */
export interface HeldLock {
  type: ImportType;
  version: number;
  value: LockValue;
}

/**
 * One lock per import type in a commercetools custom object. Taking it is an atomic
 * create-if-absent (version 0); a heartbeat extends the expiry with a version-checked write, and
 * an expired lock (its owner crashed) is taken over the same way, so two instances never both win.
 */
export class ImportLocks {
  constructor(
    private readonly store: CustomObjectStore,
    private readonly owner: string,
    /** How long a lock lives without a heartbeat. */
    readonly ttlMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async acquire(type: ImportType, runId: string): Promise<AcquireResult> {
    const value = this.freshValue(runId, this.now().toISOString());
    const key = lockKeys[type];
    // A second round covers a lock deleted or taken over between our read and our write.
    for (let round = 0; round < 2; round++) {
      const created = await this.store.write(lockContainer, key, value, 0);
      if (created) return { acquired: true, lock: { type, version: created.version, value } };
      const existing = await this.store.get<unknown>(lockContainer, key);
      if (!existing) continue;
      const holder = describeHolder(existing.value);
      if (holder.kind === 'legacy' || Date.parse(holder.value.expiresAt) > this.now().getTime()) {
        return { acquired: false, holder };
      }
      const takenOver = await this.store.write(lockContainer, key, value, existing.version);
      if (takenOver) return { acquired: true, lock: { type, version: takenOver.version, value } };
    }
    const current = await this.store.get<unknown>(lockContainer, key);
    return { acquired: false, holder: describeHolder(current?.value) };
  }

  /** Extends the expiry. False when the lock was taken from us (we were presumed dead). */
  async renew(lock: HeldLock): Promise<boolean> {
    const value = this.freshValue(lock.value.runId, lock.value.startedAt);
    const written = await this.store.write(lockContainer, lockKeys[lock.type], value, lock.version);
    if (!written) return false;
    lock.version = written.version;
    lock.value = value;
    return true;
  }

  async release(lock: HeldLock): Promise<void> {
    await this.store.delete(lockContainer, lockKeys[lock.type], lock.version);
  }

  async holder(type: ImportType): Promise<LockHolder | undefined> {
    const existing = await this.store.get<unknown>(lockContainer, lockKeys[type]);
    return existing ? describeHolder(existing.value) : undefined;
  }

  /** Removes the lock whoever holds it: the documented way out of a stale or legacy lock. */
  async clear(type: ImportType): Promise<boolean> {
    return this.store.delete(lockContainer, lockKeys[type]);
  }

  private freshValue(runId: string, startedAt: string): LockValue {
    const expiresAt = new Date(this.now().getTime() + this.ttlMs).toISOString();
    return { owner: this.owner, runId, startedAt, expiresAt };
  }
}

function describeHolder(value: unknown): LockHolder {
  const candidate = value as Partial<LockValue> | undefined;
  if (candidate && typeof candidate === 'object' && typeof candidate.expiresAt === 'string' && typeof candidate.owner === 'string') {
    return { kind: 'run', value: candidate as LockValue };
  }
  return { kind: 'legacy', value };
}
