import type { CommercetoolsClient } from './commercetools-client';
import { isConflict, isNotFound } from './commercetools-client';

export interface StoredObject<T> {
  version: number;
  value: T;
}

/** What a delete found: the object gone by our hand, not there at all, or changed since `expectedVersion`. */
export type DeleteOutcome = 'deleted' | 'absent' | 'changed';

/**
 * Custom objects as a small key-value store with version checks (locks, checkpoints). Every call
 * takes an optional signal that aborts it, so callers can give it a deadline.
 */
export class CustomObjectStore {
  constructor(private readonly client: CommercetoolsClient) {}

  async get<T>(container: string, key: string, signal?: AbortSignal): Promise<StoredObject<T> | undefined> {
    try {
      const object = await this.client.call(
        'getCustomObject',
        () => this.client.api.customObjects().withContainerAndKey({ container, key }).get().execute(),
        signal,
      );
      return { version: object.version, value: object.value as T };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Writes `value` only if `expectedVersion` matches: 0 means "only if absent", which commercetools
   * turns into an atomic create-if-absent. Answers undefined when another writer got there first.
   */
  async write<T>(
    container: string,
    key: string,
    value: T,
    expectedVersion?: number,
    signal?: AbortSignal,
  ): Promise<StoredObject<T> | undefined> {
    try {
      const object = await this.client.call(
        'writeCustomObject',
        () =>
          this.client.api
            .customObjects()
            .post({ body: { container, key, value, version: expectedVersion } })
            .execute(),
        signal,
      );
      return { version: object.version, value: object.value as T };
    } catch (error) {
      if (expectedVersion !== undefined && isConflict(error)) return undefined;
      throw error;
    }
  }

  /** Deletes the object, only at `expectedVersion` when given. */
  async delete(container: string, key: string, expectedVersion?: number, signal?: AbortSignal): Promise<DeleteOutcome> {
    try {
      await this.client.call(
        'deleteCustomObject',
        () =>
          this.client.api
            .customObjects()
            .withContainerAndKey({ container, key })
            .delete({ queryArgs: expectedVersion === undefined ? {} : { version: expectedVersion } })
            .execute(),
        signal,
      );
      return 'deleted';
    } catch (error) {
      if (isNotFound(error)) return 'absent';
      if (isConflict(error)) return 'changed';
      throw error;
    }
  }
}

/** What locks and checkpoints need of the store; tests give them an in-memory one. */
export type VersionedStore = Pick<CustomObjectStore, 'get' | 'write' | 'delete'>;
