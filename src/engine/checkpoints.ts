import type { VersionedStore } from '../clients/commercetools/custom-objects';
import type { IdRange } from '../clients/commercetools/keyset-pages';
import { zeroCounters, type PageCounts } from './run-progress';
import type { Checkpoint, ImportType } from './run-types';

export const checkpointContainer = 'klaviyo-ct-bulk-import-checkpoint';

/** A checkpoint written, at its new version; or refused because the stored one names another run. */
export type SaveResult = { saved: true; version: number } | { saved: false; runId: string };

/** Write, re-read, write again: rounds a save makes before it gives up. */
const maxRounds = 3;

/** The last saved state of each import type, one custom object per type. */
export class CheckpointStore {
  constructor(private readonly store: VersionedStore) {}

  async load(type: ImportType, signal?: AbortSignal): Promise<Checkpoint | undefined> {
    return (await this.store.get<Checkpoint>(checkpointContainer, type, signal))?.value;
  }

  /**
   * Without `expectedVersion` (a run's first save, right after it took the lock) the checkpoint
   * replaces whatever is stored. After that each save expects the version the run wrote last, so a
   * run that lost its lock cannot overwrite the checkpoint of the run that took it over. A conflict
   * with a checkpoint naming the same run is our own write whose answer was lost: saved again on top.
   */
  async save(checkpoint: Checkpoint, expectedVersion?: number, signal?: AbortSignal): Promise<SaveResult> {
    let expected = expectedVersion;
    for (let round = 0; round < maxRounds; round++) {
      const written = await this.store.write(checkpointContainer, checkpoint.type, checkpoint, expected, signal);
      if (written) return { saved: true, version: written.version };
      const current = await this.store.get<Checkpoint>(checkpointContainer, checkpoint.type, signal);
      if (current && current.value.runId !== checkpoint.runId) return { saved: false, runId: current.value.runId };
      expected = current ? current.version : 0;
    }
    throw new Error(`The ${checkpoint.type} checkpoint kept changing while it was being saved.`);
  }
}

/** One page of records read from a range; done when every unit of it is settled. */
export interface PageTicket extends PageCounts {
  readonly rangeIndex: number;
  readonly lastId: string;
  pending: number;
}

/**
 * Tracks which records are settled (accepted by Klaviyo, or counted as failed or skipped) so the
 * checkpoint only ever moves past records that are done, even with batches finishing out of order.
 * Each page carries the counts made for it; they are committed with the page.
 */
export class CommitTracker {
  private readonly committed: IdRange[];
  private readonly open: PageTicket[][];
  /** Per range, the counts of the page its reader has read but not opened yet. */
  private readonly begun: (PageCounts | undefined)[];

  constructor(
    ranges: IdRange[],
    private readonly onAdvance: (lastId: string) => void,
    private readonly onCommit: (page: PageTicket) => void = () => undefined,
  ) {
    this.committed = ranges.map((range) => ({ ...range }));
    this.open = ranges.map(() => []);
    this.begun = ranges.map(() => undefined);
  }

  /**
   * A page was read from the range: counts made for it before its ticket is opened (its `read`)
   * go here, and the range's next `openPage` carries them. A range's reader handles one page at a time.
   */
  beginPage(rangeIndex: number): PageCounts {
    const page = { counts: zeroCounters() };
    this.begun[rangeIndex] = page;
    return page;
  }

  /** Registers a page as read; `units` of it must be settled before the range moves past it. */
  openPage(rangeIndex: number, lastId: string, units: number): PageTicket {
    const counts = this.begun[rangeIndex]?.counts ?? zeroCounters();
    this.begun[rangeIndex] = undefined;
    const ticket: PageTicket = { rangeIndex, lastId, pending: units, counts };
    this.open[rangeIndex].push(ticket);
    if (units === 0) this.advance(rangeIndex);
    return ticket;
  }

  /** Settles one unit of the page. */
  settle(ticket: PageTicket): void {
    ticket.pending -= 1;
    if (ticket.pending < 0) throw new Error('a page settled more records than it holds');
    if (ticket.pending === 0) this.advance(ticket.rangeIndex);
  }

  /**
   * Records of the pages read but not settled in full (begun pages included) that are neither
   * failed nor skipped yet: Klaviyo has not answered for all of them.
   */
  unsettledRecords(): number {
    const unsettled = [
      ...this.open.flat().filter((page) => page.pending > 0),
      ...this.begun.flatMap((page) => page ?? []),
    ];
    return unsettled.reduce((sum, { counts }) => sum + counts.read - counts.failed - counts.skipped, 0);
  }

  /** The committed position of every range. */
  positions(): IdRange[] {
    return this.committed.map((range) => ({ ...range }));
  }

  private advance(rangeIndex: number): void {
    const queue = this.open[rangeIndex];
    const before = this.committed[rangeIndex].afterId;
    while (queue.length > 0 && queue[0].pending === 0) {
      const page = queue.shift()!;
      this.committed[rangeIndex].afterId = page.lastId;
      this.onCommit(page);
    }
    const after = this.committed[rangeIndex].afterId;
    if (after !== undefined && after !== before) this.onAdvance(after);
  }
}
