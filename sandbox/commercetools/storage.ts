import { InMemoryStorage } from '@labdigital/commercetools-mock';

// The mock exports its storage classes but not the resource maps typing them; these recover them
// from the storage's own generic methods (`declare` only: no value exists at run time).
declare const _storage: InMemoryStorage;
export type ResourceType = Parameters<InMemoryStorage['count']>[1];
export type Resource<RT extends ResourceType> = Parameters<typeof _storage.add<RT>>[2];
export type GetParams = NonNullable<Parameters<InMemoryStorage['get']>[3]>;
export type QueryParams = Parameters<InMemoryStorage['query']>[2];
export type QueryResult<RT extends ResourceType> =
  ReturnType<typeof _storage.query<RT>> extends Promise<infer Result> ? Result : never;

/**
 * The mock's in-memory storage with direct access to the stored records, for the two things that
 * must be fast with 100,000 records: seeding and paging. The mock's storage deep-copies every
 * record going in or out (JSON round trip); `add()` even twice. Seeding 100,000 orders through it
 * takes half a minute, and a page of 500 orders spends most of its time copying.
 */
export class SandboxStorage extends InMemoryStorage {
  /** Stores generated records as they are: they are handed over, nothing else holds them. */
  async load<RT extends ResourceType>(projectKey: string, typeId: RT, resources: Array<Resource<RT>>): Promise<void> {
    if (typeId === 'key-value-document') {
      throw new Error('custom objects need add(): the storage indexes them by container and key');
    }
    const records = await this.storedRecords(projectKey, typeId);
    for (const resource of resources) records.set(resource.id, resource);
  }

  /**
   * The stored records of one type, not copied: read them, never change them. The mock keeps them
   * in a private map inside its `StorageMap`; this is the one place that relies on that.
   */
  protected async storedRecords<RT extends ResourceType>(
    projectKey: string,
    typeId: RT,
  ): Promise<Map<string, Resource<RT>>> {
    // count() creates the project's resource maps on first use.
    await this.count(projectKey, typeId);
    const records = (this.resources[projectKey][typeId] as unknown as { _map?: unknown })._map;
    if (!(records instanceof Map)) {
      throw new Error(
        '@labdigital/commercetools-mock changed how it stores records; update sandbox/commercetools/storage.ts',
      );
    }
    return records as Map<string, Resource<RT>>;
  }
}
