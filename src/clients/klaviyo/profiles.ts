import type { ProfileUpsertQueryResourceObjectAttributes } from 'klaviyo-api';
import type { KlaviyoClient } from './klaviyo-client';
import { nextPageCursor } from './pagination';

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

/** Klaviyo's size limit for one bulk profile import job (it also takes at most 10,000 profiles). */
export const profileImportMaxBytes = 5_000_000;

export async function submitProfileImportJob(
  client: KlaviyoClient,
  profiles: ProfileImportEntry[],
  signal?: AbortSignal,
): Promise<string> {
  const { body } = await client.call(
    'bulk_import_profiles',
    () =>
      client.profiles.bulkImportProfiles({
        data: {
          type: 'profile-bulk-import-job',
          attributes: {
            profiles: {
              data: profiles.map((profile) => ({ type: 'profile', id: profile.id, attributes: profile.attributes })),
            },
          },
        },
      }),
    signal,
  );
  return body.data.id;
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
