import type { Attributes } from './state';

/**
 * The JSON:API request bodies the handlers read. The validator checks each body against the
 * operation's schema in the spec before a handler sees it, so handlers take these shapes as given.
 */

/** `{ type, id }` of a related resource. */
export interface Identifier {
  type: string;
  id: string;
}

/** A relationship in a request body: one related resource or a list of them. */
export interface Relationship {
  data?: Identifier | Identifier[] | null;
}

/** A resource object as a request body carries it. */
export interface ResourceObject {
  type?: string;
  id?: string | null;
  attributes?: Attributes;
  relationships?: Record<string, Relationship>;
}

/** A request body: one resource object under `data`. */
export interface RequestDocument {
  data: ResourceObject;
}

/** The records of a bulk job body, found under `data.attributes.<field>.data`; none when absent. */
export function bulkRecords(body: unknown, field: string): ResourceObject[] {
  const list = (body as Partial<RequestDocument> | undefined)?.data?.attributes?.[field] as
    { data?: unknown } | undefined;
  return Array.isArray(list?.data) ? (list.data as ResourceObject[]) : [];
}
