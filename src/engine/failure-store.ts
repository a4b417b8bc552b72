import type { VersionedStore } from '../clients/commercetools/custom-objects';
import type { Logger } from '../logging/logger';
import { backoffDelayMs, sleep } from '../platform/retry';
import { withDeadline } from './deadline';
import type { Checkpoint, FailureEntry, FailureKind, ImportType } from './run-types';

/** What a run's failures are filed under: found by run id, or as the type's latest run. */
export interface FailedRun {
  runId: string;
  type: ImportType;
  /** The mode of the run's request: a deletion's ids are Klaviyo's, and cannot be imported again. */
  mode: Checkpoint['request']['mode'];
  startedAt: string;
  /** The run this one resumed: its entries come first in this one's list. */
  continues?: string;
  /** Chunks written so far, numbered from 0. */
  chunks: number;
  /** Entries written so far, in those chunks. */
  stored: number;
  /** Entries that could not be written. */
  unstored: number;
}

interface StoredChunk {
  entries: FailureEntry[];
}

export interface FailureStoreOptions {
  /** Entries per custom object; with `maxReasonChars` it bounds an object's size. */
  chunkSize: number;
  maxReasonChars: number;
  /** Chunks waiting for their write; a run with more failures than commercetools takes drops the rest. */
  maxPendingChunks: number;
  /** Chunks read ahead while a listing or a retry reads a run's chunks: fewer round trips to wait for. */
  readAhead: number;
  /** Each write and read. */
  callDeadlineMs: number;
  /** Attempts at each write, the first included, with backoff between them. */
  writeAttempts: number;
  retryDelayMs: number;
}

export const defaultFailureStoreOptions: FailureStoreOptions = {
  chunkSize: 500,
  maxReasonChars: 1_000,
  maxPendingChunks: 4,
  readAhead: 4,
  callDeadlineMs: 10_000,
  writeAttempts: 3,
  retryDelayMs: 1_000,
};

/** The key naming the latest run of a type. Run ids are UUIDs, so it names no run. */
const latestKey = 'last';

export function failuresContainer(type: ImportType): string {
  return `ct-klaviyo-bulk-import-failures-${type}`;
}

function chunkKey(runId: string, chunkNo: number): string {
  return `${runId}-${chunkNo}`;
}

/**
 * Every record a run fails or skips, kept in commercetools custom objects, so that any instance can
 * list them after a restart and a later run can import the failed ones again. Per type, one
 * container holds `last` (the latest run's id), one object per run (its id: what `FailedRun`
 * says) and the run's chunks (`<runId>-<n>`, at most `chunkSize` entries each).
 */
export class FailureStore {
  private readonly options: FailureStoreOptions;

  constructor(
    private readonly store: Pick<VersionedStore, 'get' | 'write'>,
    options: Partial<FailureStoreOptions> = {},
  ) {
    this.options = { ...defaultFailureStoreOptions, ...options };
  }

  /** A recorder for a run that starts now; it names the run as its type's latest at once. */
  recorder(
    run: Pick<FailedRun, 'runId' | 'type' | 'mode' | 'startedAt' | 'continues'>,
    logger: Logger,
  ): FailureRecorder {
    return new FailureRecorder(this.store, this.options, { ...run, chunks: 0, stored: 0, unstored: 0 }, logger);
  }

  /** The run `run` names (`last`: the latest of its type), or undefined when there is none. */
  async findRun(type: ImportType, run: string, signal?: AbortSignal): Promise<FailedRun | undefined> {
    const container = failuresContainer(type);
    let runId = run;
    if (run === latestKey) {
      const latest = await this.read<{ runId: string }>(container, latestKey, signal);
      if (!latest) return undefined;
      runId = latest.runId;
    }
    return this.read<FailedRun>(container, runId, signal);
  }

  /**
   * The run's entries, a chunk at a time, in the order they were recorded, after those of the runs
   * it resumed (a record read again after a resume may be listed twice); `readAhead` chunks are
   * read at once.
   */
  async *entries(run: FailedRun, signal?: AbortSignal): AsyncGenerator<FailureEntry[]> {
    const continued = run.continues === undefined ? undefined : await this.findRun(run.type, run.continues, signal);
    if (continued) yield* this.entries(continued, signal);
    const container = failuresContainer(run.type);
    const reads: Promise<StoredChunk | undefined>[] = [];
    let nextChunk = 0;
    const readAhead = () => {
      while (nextChunk < run.chunks && reads.length < this.options.readAhead) {
        const read = this.read<StoredChunk>(container, chunkKey(run.runId, nextChunk++), signal);
        // Heard here too: a reader that stops early leaves the reads ahead unawaited.
        read.catch(() => undefined);
        reads.push(read);
      }
    };
    readAhead();
    while (reads.length > 0) {
      const chunk = await reads.shift()!;
      readAhead();
      if (chunk && chunk.entries.length > 0) yield chunk.entries;
    }
  }

  /** The ids of the records the run failed (not those it skipped), each once, read chunk after chunk. */
  async failedIds(run: FailedRun, signal?: AbortSignal): Promise<string[]> {
    const ids = new Set<string>();
    for await (const entries of this.entries(run, signal)) {
      for (const entry of entries) if (entry.kind === 'failed') ids.add(entry.id);
    }
    return [...ids];
  }

  private async read<T>(container: string, key: string, signal?: AbortSignal): Promise<T | undefined> {
    const object = await withDeadline(
      this.options.callDeadlineMs,
      'readFailures',
      (deadline) => this.store.get<T>(container, key, deadline),
      signal,
    );
    return object?.value;
  }
}

/**
 * Files one run's failures and skips as they happen. It holds one chunk being filled and at most
 * `maxPendingChunks` waiting for their write, whatever the run's size; writes go one at a time,
 * each with a deadline and retried. Entries whose write finally fails, or that find no room, are
 * counted in `unstored` (and logged), never held on to.
 */
export class FailureRecorder {
  private buffer: FailureEntry[] = [];
  private pendingChunks = 0;
  /** Entries recorded after `close`. */
  private lateEntries = 0;
  /** The run's object was last written with this many entries not stored. */
  private unstoredWritten = 0;
  /** The writes in order: the run's object first, then each chunk followed by the run's object again. */
  private writes: Promise<void>;
  private readonly controller = new AbortController();

  constructor(
    private readonly store: Pick<VersionedStore, 'get' | 'write'>,
    private readonly options: FailureStoreOptions,
    private readonly run: FailedRun,
    private readonly logger: Logger,
  ) {
    const container = failuresContainer(run.type);
    this.writes = this.attempt('the run', async (signal) => {
      await this.writeRun(signal);
      await this.store.write(container, latestKey, { runId: run.runId }, undefined, signal);
    }).then(() => undefined);
  }

  /** Entries that could not be written to commercetools so far. */
  get unstored(): number {
    return this.run.unstored;
  }

  add(kind: FailureKind, id: string, reason: string): void {
    if (this.controller.signal.aborted) {
      // An importer left behind at the end of its run: counted, logged once.
      if (this.lateEntries++ === 0) this.logger.warn('Failure entries recorded after the run closed; not stored');
      this.run.unstored++;
      return;
    }
    this.buffer.push(failureEntry(kind, id, reason.slice(0, this.options.maxReasonChars)));
    if (this.buffer.length >= this.options.chunkSize) this.seal();
  }

  /**
   * Writes what is left and waits for every write, for at most `deadlineMs`; writes still going
   * then are abandoned and their entries counted as unstored. Never rejects.
   */
  async close(deadlineMs: number): Promise<{ stored: number; unstored: number }> {
    if (!this.controller.signal.aborted) {
      if (this.buffer.length > 0) this.seal();
      // So that any instance can tell what the listing lacks.
      this.writes = this.writes.then(async () => {
        if (this.run.unstored > this.unstoredWritten) await this.attempt('the run', (signal) => this.writeRun(signal));
      });
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
      await Promise.race([this.writes, expired]);
      clearTimeout(timer);
      this.controller.abort(new Error('the failures were not written in time'));
      await this.writes;
    }
    return { stored: this.run.stored, unstored: this.run.unstored };
  }

  private seal(): void {
    const entries = this.buffer;
    this.buffer = [];
    if (this.pendingChunks >= this.options.maxPendingChunks) {
      this.lose(entries.length, 'commercetools does not keep up with the failures');
      return;
    }
    this.pendingChunks++;
    this.writes = this.writes.then(async () => {
      const container = failuresContainer(this.run.type);
      const chunkNo = this.run.chunks;
      const written = await this.attempt('a chunk of failures', async (signal) => {
        await this.store.write(container, chunkKey(this.run.runId, chunkNo), { entries }, undefined, signal);
        await this.writeRun(signal, { chunks: chunkNo + 1, stored: this.run.stored + entries.length });
      });
      this.pendingChunks--;
      if (written) {
        this.run.chunks = chunkNo + 1;
        this.run.stored += entries.length;
      } else {
        this.lose(entries.length, 'the write failed');
      }
    });
  }

  /** Writes the run's object as it stands, with `change` applied. */
  private async writeRun(signal: AbortSignal, change: Partial<FailedRun> = {}): Promise<void> {
    const unstored = this.run.unstored;
    await this.store.write(
      failuresContainer(this.run.type),
      this.run.runId,
      { ...this.run, ...change },
      undefined,
      signal,
    );
    this.unstoredWritten = unstored;
  }

  /** Runs `write` with a deadline, again after a failure, up to `writeAttempts` times; true once it succeeded. */
  private async attempt(what: string, write: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
    const { writeAttempts, callDeadlineMs, retryDelayMs } = this.options;
    const signal = this.controller.signal;
    for (let attempt = 1; attempt <= writeAttempts && !signal.aborted; attempt++) {
      try {
        await withDeadline(callDeadlineMs, 'writeFailures', write, signal);
        return true;
      } catch (error) {
        if (signal.aborted || attempt === writeAttempts) {
          this.logger.warn({ what, attempts: attempt, reason: (error as Error).message }, 'Could not store failures');
          return false;
        }
        try {
          const policy = { maxAttempts: writeAttempts, baseDelayMs: retryDelayMs, maxDelayMs: retryDelayMs * 8 };
          await sleep(backoffDelayMs(attempt, policy), signal);
        } catch {
          return false;
        }
      }
    }
    return false;
  }

  private lose(count: number, why: string): void {
    this.run.unstored += count;
    this.logger.warn({ entries: count, unstored: this.run.unstored, why }, 'Failure entries not stored');
  }
}

/**
 * The entry of a failure: Klaviyo's code and pointer are read back from the reason, which the
 * importers write as `Klaviyo refused the <what>: <code>[:] <detail>[ at <pointer>]`.
 */
export function failureEntry(kind: FailureKind, id: string, reason: string): FailureEntry {
  const refusal = /^Klaviyo refused the [^:]+: ([\w.-]+):? .*?(?: at (\/\S*))?$/s.exec(reason);
  if (!refusal) return { id, kind, reason };
  const [, code, pointer] = refusal;
  return { id, kind, reason, code, ...(pointer ? { pointer } : {}) };
}
