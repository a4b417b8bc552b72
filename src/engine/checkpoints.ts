import type { CustomObjectStore } from '../clients/commercetools/custom-objects';
import type { IdRange } from '../clients/commercetools/keyset-pages';
import type { Checkpoint, ImportType } from './run-types';

export const checkpointContainer = 'klaviyo-ct-bulk-import-checkpoint';

/** The last saved state of each import type, one custom object per type. */
export class CheckpointStore {
  constructor(private readonly store: CustomObjectStore) {}

  async load(type: ImportType): Promise<Checkpoint | undefined> {
    return (await this.store.get<Checkpoint>(checkpointContainer, type))?.value;
  }

  /** Written only while the type's lock is held, so no version check is needed. */
  async save(checkpoint: Checkpoint): Promise<void> {
    await this.store.write(checkpointContainer, checkpoint.type, checkpoint);
  }
}

/** One page of records read from a range; done when every record in it is settled. */
export interface PageTicket {
  readonly rangeIndex: number;
  readonly lastId: string;
  pending: number;
}

/**
 * Tracks which records are settled (accepted by Klaviyo, or counted as failed or skipped) so the
 * checkpoint only ever moves past records that are done, even with batches finishing out of order.
 */
export class CommitTracker {
  private readonly committed: IdRange[];
  private readonly open: PageTicket[][];

  constructor(ranges: IdRange[], private readonly onAdvance: (lastId: string) => void) {
    this.committed = ranges.map((range) => ({ ...range }));
    this.open = ranges.map(() => []);
  }

  /** Registers a page as read; `size` records of it must be settled before the range moves past it. */
  openPage(rangeIndex: number, lastId: string, size: number): PageTicket {
    const ticket: PageTicket = { rangeIndex, lastId, pending: size };
    this.open[rangeIndex].push(ticket);
    if (size === 0) this.advance(rangeIndex);
    return ticket;
  }

  /** Settles one record of the page. */
  settle(ticket: PageTicket): void {
    ticket.pending -= 1;
    if (ticket.pending < 0) throw new Error('a page settled more records than it holds');
    if (ticket.pending === 0) this.advance(ticket.rangeIndex);
  }

  /** The committed position of every range. */
  positions(): IdRange[] {
    return this.committed.map((range) => ({ ...range }));
  }

  private advance(rangeIndex: number): void {
    const queue = this.open[rangeIndex];
    const before = this.committed[rangeIndex].afterId;
    while (queue.length > 0 && queue[0].pending === 0) {
      this.committed[rangeIndex].afterId = queue.shift()!.lastId;
    }
    const after = this.committed[rangeIndex].afterId;
    if (after !== undefined && after !== before) this.onAdvance(after);
  }
}
