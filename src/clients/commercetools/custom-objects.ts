import type { CommercetoolsClient } from './commercetools-client';
import { isConflict, isNotFound } from './commercetools-client';

export interface StoredObject<T> {
  version: number;
  value: T;
}

/** Custom objects as a small key-value store with version checks (locks, checkpoints). */
export class CustomObjectStore {
  constructor(private readonly client: CommercetoolsClient) {}

  async get<T>(container: string, key: string): Promise<StoredObject<T> | undefined> {
    try {
      const object = await this.client.call('getCustomObject', () =>
        this.client.api.customObjects().withContainerAndKey({ container, key }).get().execute(),
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
  async write<T>(container: string, key: string, value: T, expectedVersion?: number): Promise<StoredObject<T> | undefined> {
    try {
      const object = await this.client.call('writeCustomObject', () =>
        this.client.api
          .customObjects()
          .post({ body: { container, key, value, version: expectedVersion } })
          .execute(),
      );
      return { version: object.version, value: object.value as T };
    } catch (error) {
      if (expectedVersion !== undefined && isConflict(error)) return undefined;
      throw error;
    }
  }

  /** Deletes the object (only at `expectedVersion` when given); false when it was not there or changed. */
  async delete(container: string, key: string, expectedVersion?: number): Promise<boolean> {
    try {
      await this.client.call('deleteCustomObject', () =>
        this.client.api
          .customObjects()
          .withContainerAndKey({ container, key })
          .delete({ queryArgs: expectedVersion === undefined ? {} : { version: expectedVersion } })
          .execute(),
      );
      return true;
    } catch (error) {
      if (isNotFound(error) || isConflict(error)) return false;
      throw error;
    }
  }
}
