import { ProfileLocation, ProfileUpsertQueryResourceObjectAttributes } from 'klaviyo-api';
import type { KlaviyoClient } from './klaviyo-client';
import { nextPageCursor } from './pagination';
import { WireBodyWriter } from './wire-body';

export type ProfileAttributes = ProfileUpsertQueryResourceObjectAttributes;

/** One profile for an import job; `id` targets an existing Klaviyo profile exactly. */
export interface ProfileImportEntry {
  id?: string;
  attributes: ProfileAttributes;
}

export interface ProfileImportJob {
  status: 'queued' | 'processing' | 'complete' | 'cancelled';
  totalCount: number;
}

export interface ProfileImportError {
  code: string;
  title: string;
  detail: string;
  pointer?: string;
  /** The customer id Klaviyo echoed back from the refused profile, when it did. */
  externalId?: string;
}

/** Klaviyo's size limit for one bulk profile import job. */
export const profileImportMaxBytes = 5_000_000;
/** Klaviyo's count limit for one bulk profile import job. */
export const profileImportMaxProfiles = 10_000;

/** One profile in its wire form (snake_case JSON:API, as the SDK serializes it) and that form's UTF-8 size. */
export interface ProfileWire {
  /**
   * UTF-8 JSON outside the JavaScript heap, so that jobs waiting to go out do not make the heap
   * grow. Once submitted, a view into the job's body: a job's bytes are held once, not twice.
   */
  json: Buffer;
}

/**
 * The SDK's own maps of a profile's attributes and location: each attribute's wire name, in the
 * order the SDK writes them. Every attribute is a string or passed through (properties, latitude,
 * longitude), so renaming is all the SDK's serializer does to a profile; a test checks the bytes.
 */
const profileAttributeNames = ProfileUpsertQueryResourceObjectAttributes.getAttributeTypeMap();
const locationAttributeNames = ProfileLocation.getAttributeTypeMap();

function wireNamed(value: object, names: ReadonlyArray<{ name: string; baseName: string }>): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (const { name, baseName } of names) named[baseName] = (value as Record<string, unknown>)[name];
  return named;
}

/** Serializes a profile once, as it arrives: the job's body is these forms put together, sent as they are. */
export function profileWire(profile: ProfileImportEntry): ProfileWire {
  const attributes = wireNamed(profile.attributes, profileAttributeNames);
  if (profile.attributes.location) attributes.location = wireNamed(profile.attributes.location, locationAttributeNames);
  return { json: Buffer.from(JSON.stringify({ type: 'profile', id: profile.id, attributes })) };
}

const jobBodyStart = '{"data":{"type":"profile-bulk-import-job","attributes":{"profiles":{"data":[';
const jobBodyEnd = ']}}}}';
/** The bytes of a job's body around its profiles; each profile after the first adds a comma. */
export const profileJobEnvelopeBytes = jobBodyStart.length + jobBodyEnd.length;

/**
 * Submits one import job of profiles in their wire form; answers the job's id. Each profile's form
 * is replaced by its place in the body (the same bytes), so the separate copies can be freed.
 */
export async function submitProfileImportJob(
  client: KlaviyoClient,
  profiles: readonly ProfileWire[],
  signal?: AbortSignal,
): Promise<string> {
  const body = new WireBodyWriter(
    profiles.reduce((bytes, profile) => bytes + profile.json.length + 1, profileJobEnvelopeBytes),
  );
  body.write(jobBodyStart);
  profiles.forEach((profile, index) => {
    if (index > 0) body.write(',');
    profile.json = body.write(profile.json);
  });
  body.write(jobBodyEnd);
  const { body: answer } = await client.callWithBody(
    'bulk_import_profiles',
    body.finish(),
    () =>
      client.profiles.bulkImportProfiles({
        data: { type: 'profile-bulk-import-job', attributes: { profiles: { data: [] } } },
      }),
    signal,
  );
  return answer.data.id;
}

/** The profile a refusal of an import job points at (`/data/attributes/profiles/data/7/…` → 7). */
export function profileIndexesOfPointer(pointer: string): number[] {
  const index = /^\/data\/attributes\/profiles\/data\/(\d+)(\/|$)/.exec(pointer)?.[1];
  return index === undefined ? [] : [Number(index)];
}

export async function getProfileImportJob(
  client: KlaviyoClient,
  jobId: string,
  signal?: AbortSignal,
): Promise<ProfileImportJob> {
  const { body } = await client.call(
    'get_bulk_import_profiles_job',
    () => client.profiles.getBulkImportProfilesJob(jobId),
    signal,
  );
  const attributes = body.data.attributes;
  return { status: String(attributes.status) as ProfileImportJob['status'], totalCount: attributes.totalCount };
}

/** Every per-profile error of a finished job, page by page. */
export async function* profileImportErrors(
  client: KlaviyoClient,
  jobId: string,
  signal?: AbortSignal,
): AsyncGenerator<ProfileImportError> {
  let pageCursor: string | undefined;
  do {
    const { body } = await client.call(
      'get_errors_for_bulk_import_profiles_job',
      () => client.profiles.getErrorsForBulkImportProfilesJob(jobId, { pageCursor, pageSize: 100 }),
      signal,
    );
    for (const error of body.data) {
      const { code, title, detail, source, originalPayload } = error.attributes;
      yield {
        code,
        title,
        detail,
        pointer: source?.pointer ?? undefined,
        externalId: echoedExternalId(originalPayload),
      };
    }
    pageCursor = nextPageCursor(body.links?.next);
  } while (pageCursor);
}

/** Klaviyo profile ids of the given emails, looked up 100 at a time. */
export async function findProfileIdsByEmail(
  client: KlaviyoClient,
  emails: string[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let start = 0; start < emails.length; start += 100) {
    const chunk = emails.slice(start, start + 100);
    const filter = `any(email,[${chunk.map((email) => JSON.stringify(email)).join(',')}])`;
    const { body } = await client.call(
      'get_profiles',
      () => client.profiles.getProfiles({ filter, pageSize: 100, fieldsProfile: ['email'] }),
      signal,
    );
    for (const profile of body.data) {
      const email = profile.attributes.email;
      if (email && profile.id) found.set(email.toLowerCase(), profile.id);
    }
  }
  return found;
}

function echoedExternalId(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const record = payload as Record<string, unknown>;
  const attributes = (record.attributes ?? record) as Record<string, unknown>;
  const id = attributes.external_id ?? attributes.externalId;
  return typeof id === 'string' ? id : undefined;
}
