import type { VersionedStore } from '../clients/commercetools/custom-objects';
import type { ImportType, LastCompletedRun } from './run-types';

export const lastRunContainer = 'klaviyo-ct-bulk-import-last-run';

/**
 * The last completed full or incremental run of each import type, one custom object per type
 * beside its lock and checkpoint: any instance can continue from it with `since: "lastRun"`.
 */
export class LastRunStore {
  constructor(private readonly store: VersionedStore) {}

  async load(type: ImportType, signal?: AbortSignal): Promise<LastCompletedRun | undefined> {
    return (await this.store.get<LastCompletedRun>(lastRunContainer, type, signal))?.value;
  }

  /** Replaces what is stored: runs of one type follow each other under its lock. */
  async save(run: LastCompletedRun, signal?: AbortSignal): Promise<void> {
    await this.store.write(lastRunContainer, run.type, run, undefined, signal);
  }
}
