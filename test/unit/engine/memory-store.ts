import type { DeleteOutcome, StoredObject, VersionedStore } from '../../../src/clients/commercetools/custom-objects';
import { CheckpointStore } from '../../../src/engine/checkpoints';
import { FailureStore } from '../../../src/engine/failure-store';
import { ImportLocks } from '../../../src/engine/import-lock';
import { LastRunStore } from '../../../src/engine/last-runs';
import { PlatformError } from '../../../src/platform/platform-error';

export type StoreOperation = 'get' | 'write' | 'delete';

export interface StoreCall {
  operation: StoreOperation;
  container: string;
  key: string;
}

/** Runs before a call reaches the objects: it may wait (honouring the signal), throw, or both. */
export type StoreFault = (call: StoreCall, signal?: AbortSignal) => Promise<void> | void;

/**
 * Custom objects in memory with commercetools' version rules (version 0 = create if absent, a
 * version that does not match the stored one is a conflict, an object created anew starts at 1),
 * answering the way `CustomObjectStore` does, with faults on demand.
 */
export class MemoryStore implements VersionedStore {
  readonly objects = new Map<string, StoredObject<unknown>>();
  readonly calls: StoreCall[] = [];
  fault?: StoreFault;
  /** Containers whose next write is applied but answered with a lost connection; the client's retry then meets the new version. */
  private readonly losingAnswers = new Set<string>();

  loseNextAnswer(container: string): void {
    this.losingAnswers.add(container);
  }

  value<T>(container: string, key: string): T | undefined {
    return this.objects.get(`${container}/${key}`)?.value as T | undefined;
  }

  put(container: string, key: string, value: unknown): void {
    const existing = this.objects.get(`${container}/${key}`);
    this.objects.set(`${container}/${key}`, { version: (existing?.version ?? 0) + 1, value });
  }

  remove(container: string, key: string): void {
    this.objects.delete(`${container}/${key}`);
  }

  writesTo(container: string): number {
    return this.calls.filter((call) => call.operation === 'write' && call.container === container).length;
  }

  async get<T>(container: string, key: string, signal?: AbortSignal): Promise<StoredObject<T> | undefined> {
    return this.answer({ operation: 'get', container, key }, signal, () =>
      structuredClone(this.objects.get(`${container}/${key}`) as StoredObject<T> | undefined),
    );
  }

  async write<T>(
    container: string,
    key: string,
    value: T,
    expectedVersion?: number,
    signal?: AbortSignal,
  ): Promise<StoredObject<T> | undefined> {
    return this.answer({ operation: 'write', container, key }, signal, () => {
      const apply = () => {
        const existing = this.objects.get(`${container}/${key}`);
        if (existing && expectedVersion !== undefined && existing.version !== expectedVersion) return undefined;
        const written = { version: (existing?.version ?? 0) + 1, value: structuredClone(value) };
        this.objects.set(`${container}/${key}`, written);
        return written as StoredObject<T>;
      };
      const first = apply();
      if (!this.losingAnswers.delete(container)) return first;
      // The answer was lost: the client sends the same request again.
      return apply();
    });
  }

  async delete(container: string, key: string, expectedVersion?: number, signal?: AbortSignal): Promise<DeleteOutcome> {
    return this.answer({ operation: 'delete', container, key }, signal, () => {
      const existing = this.objects.get(`${container}/${key}`);
      if (!existing) return 'absent';
      if (expectedVersion !== undefined && existing.version !== expectedVersion) return 'changed';
      this.objects.delete(`${container}/${key}`);
      return 'deleted';
    });
  }

  private async answer<T>(call: StoreCall, signal: AbortSignal | undefined, act: () => T): Promise<T> {
    this.calls.push(call);
    signal?.throwIfAborted();
    await this.fault?.(call, signal);
    signal?.throwIfAborted();
    return act();
  }
}

/** A commercetools that refuses connections. */
export function unreachable(call: StoreCall): never {
  throw new PlatformError(
    'commercetools',
    `${call.operation}CustomObject`,
    undefined,
    'connection refused (ECONNREFUSED)',
  );
}

/** Waits `ms`, or rejects with the signal's reason once it aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** A commercetools that accepts the connection and never answers: only the signal ends the call. */
export function hang(_call: StoreCall, signal?: AbortSignal): Promise<void> {
  return delay(2 ** 31 - 1, signal);
}

/** What a `JobEngine` keeps in commercetools, over one store: for engines built in tests. */
export function engineStores(store: MemoryStore, owner = 'instance-a', ttlMs = 2_000) {
  return {
    locks: new ImportLocks(store, owner, ttlMs),
    checkpoints: new CheckpointStore(store),
    lastRuns: new LastRunStore(store),
    failures: new FailureStore(store),
    sinceMarginMs: 60_000,
  };
}
