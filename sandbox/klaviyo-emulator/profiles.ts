import { bulkJobHandlers, findJob } from './bulk-jobs';
import { listCollection, resource, type OperationHandler, type RequestContext } from './context';
import { asSingleRecord, notFound, RecordError, requireBodyIdMatchesPath } from './errors';
import { newId, type Attributes, type BulkJobKind, type EmulatorState, type ProfileRecord } from './state';
import { bulkRecords } from './wire';

/** Klaviyo matches an incoming profile to an existing one by any of these. */
const IDENTIFIERS = ['email', 'phone_number', 'external_id'] as const;
const SCALAR_FIELDS = [...IDENTIFIERS, 'first_name', 'last_name', 'organization', 'locale', 'title', 'image'];
const LOCATION_FIELDS = [
  'address1',
  'address2',
  'city',
  'country',
  'latitude',
  'longitude',
  'region',
  'zip',
  'timezone',
  'ip',
];
const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The profile part of a request: `{ id?, attributes }` as the JSON:API bodies carry it. */
export interface ProfileData {
  id?: string | null;
  attributes?: Attributes;
}

/**
 * Create-or-update as the bulk import, event creation and profile-import do: an id must
 * exist; otherwise the first identifier that matches picks the profile, and none creates one.
 */
export function upsertProfile(
  state: EmulatorState,
  data: ProfileData,
  now: Date,
): { profile: ProfileRecord; created: boolean } {
  const attributes = data.attributes ?? {};
  checkIdentifierFormats(attributes);
  let profile = data.id ? state.profiles.get(data.id) : findByIdentifiers(state, attributes);
  if (data.id && !profile)
    throw new RecordError(404, 'not_found', 'Not found.', `A profile with id ${data.id} does not exist.`, '/id');
  const created = !profile;
  if (!profile) {
    if (!IDENTIFIERS.some((identifier) => typeof attributes[identifier] === 'string')) {
      throw new RecordError(
        400,
        'invalid',
        'Invalid input.',
        'A profile requires at least one identifier: email, phone_number or external_id.',
        '/attributes',
      );
    }
    profile = newProfile(now);
  }
  assignAttributes(state, profile, attributes, now);
  return { profile, created };
}

/** POST /api/profiles: any identifier already taken is a 409 naming the existing profile. */
export function createProfile(state: EmulatorState, data: ProfileData, now: Date): ProfileRecord {
  const attributes = data.attributes ?? {};
  checkIdentifierFormats(attributes);
  const existing = findByIdentifiers(state, attributes);
  if (existing) throw duplicateProfile(existing.id);
  return upsertProfile(state, data, now).profile;
}

function updateProfile(state: EmulatorState, id: string, data: ProfileData, now: Date): ProfileRecord {
  const profile = state.profiles.get(id);
  if (!profile) throw new RecordError(404, 'not_found', 'Not found.', `A profile with id ${id} does not exist.`, '/id');
  const attributes = data.attributes ?? {};
  checkIdentifierFormats(attributes);
  assignAttributes(state, profile, attributes, now);
  return profile;
}

function checkIdentifierFormats(attributes: Attributes): void {
  const { email, phone_number: phone } = attributes;
  if (typeof email === 'string' && !EMAIL.test(email)) {
    throw new RecordError(400, 'invalid', 'Invalid input.', 'Invalid email address.', '/attributes/email');
  }
  if (typeof phone === 'string' && !E164.test(phone)) {
    throw new RecordError(
      400,
      'invalid',
      'Invalid input.',
      'Invalid phone number format (Example of a valid phone number: +13239169023)',
      '/attributes/phone_number',
    );
  }
}

function identityKey(identifier: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return `${identifier}:${identifier === 'email' ? value.toLowerCase() : value}`;
}

function findByIdentifiers(state: EmulatorState, attributes: Attributes): ProfileRecord | undefined {
  for (const identifier of IDENTIFIERS) {
    const key = identityKey(identifier, attributes[identifier]);
    const id = key && state.profileIdentities.get(key);
    if (id) return state.profiles.get(id);
  }
  return undefined;
}

function duplicateProfile(existingId: string): RecordError {
  return new RecordError(
    409,
    'duplicate_profile',
    'Conflict.',
    'A profile already exists with one of these identifiers.',
    '/attributes',
    {
      duplicate_profile_id: existingId,
    },
  );
}

function newProfile(now: Date): ProfileRecord {
  const attributes: Attributes = Object.fromEntries(SCALAR_FIELDS.map((field) => [field, null]));
  Object.assign(attributes, {
    created: now.toISOString(),
    updated: now.toISOString(),
    last_event_date: null,
    location: Object.fromEntries(LOCATION_FIELDS.map((field) => [field, null])),
    properties: {},
  });
  return { id: newId(now.getTime()), attributes };
}

/**
 * Sent fields overwrite (null clears); location and custom properties merge key by key.
 * An identifier already held by another profile refuses the whole change.
 */
function assignAttributes(state: EmulatorState, profile: ProfileRecord, attributes: Attributes, now: Date): void {
  for (const identifier of IDENTIFIERS) {
    const key = identityKey(identifier, attributes[identifier]);
    const holder = key && state.profileIdentities.get(key);
    if (holder && holder !== profile.id) throw duplicateProfile(holder);
  }
  for (const identifier of IDENTIFIERS) {
    if (!(identifier in attributes)) continue;
    const previous = identityKey(identifier, profile.attributes[identifier]);
    if (previous) state.profileIdentities.delete(previous);
    const next = identityKey(identifier, attributes[identifier]);
    if (next) state.profileIdentities.set(next, profile.id);
  }
  for (const field of SCALAR_FIELDS) if (field in attributes) profile.attributes[field] = attributes[field] ?? null;
  if ('location' in attributes) {
    const location = attributes.location as Attributes | null;
    profile.attributes.location =
      location === null
        ? newProfile(now).attributes.location
        : { ...(profile.attributes.location as Attributes), ...location };
  }
  if ('properties' in attributes) {
    profile.attributes.properties = {
      ...(profile.attributes.properties as Attributes),
      ...(attributes.properties ?? {}),
    };
  }
  profile.attributes.updated = now.toISOString();
  state.profiles.set(profile.id, profile);
}

export function serializeProfile(profile: ProfileRecord, baseUrl: string) {
  return resource(baseUrl, 'profiles', 'profile', profile.id, { ...profile.attributes });
}

const profileImportJobs: BulkJobKind = {
  type: 'profile-bulk-import-job',
  collection: 'profile-bulk-import-jobs',
  recordsOf: (body) => bulkRecords(body, 'profiles'),
  recordsPointer: '/data/attributes/profiles/data',
  apply: (record: ProfileData, state, now) => upsertProfile(state, record, now),
  errorReport: 'import-errors',
};

function single(context: RequestContext, profile: ProfileRecord, status = 200) {
  return { status, body: { data: serializeProfile(profile, context.baseUrl) } };
}

export const profileHandlers: OperationHandler[] = [
  ...bulkJobHandlers(profileImportJobs),
  {
    method: 'GET',
    path: '/api/profile-bulk-import-jobs/{id}/import-errors',
    handle: (context) => {
      const job = findJob(context.state, profileImportJobs, context.params.id);
      const { data, links } = listCollection(context, job.errors, {
        fieldOf: () => undefined,
        serialize: ({ id, ...attributes }) => ({
          type: 'import-error',
          id,
          attributes,
          links: { self: `${context.baseUrl}/api/import-errors/${id}/` },
        }),
        defaultPageSize: 20,
      });
      return { status: 200, body: { data, links } };
    },
  },
  {
    method: 'GET',
    path: '/api/profiles',
    handle: (context) => {
      const { data, links } = listCollection(context, context.state.profiles.values(), {
        fieldOf: (profile, field) => (field === 'id' ? profile.id : profile.attributes[field]),
        serialize: (profile) => serializeProfile(profile, context.baseUrl),
        defaultPageSize: 20,
      });
      return { status: 200, body: { data, links } };
    },
  },
  {
    method: 'GET',
    path: '/api/profiles/{id}',
    handle: (context) => {
      const profile = context.state.profiles.get(context.params.id);
      if (!profile) throw notFound(`A profile with id ${context.params.id} does not exist.`);
      return single(context, profile);
    },
  },
  {
    method: 'POST',
    path: '/api/profiles',
    handle: (context) =>
      single(
        context,
        asSingleRecord(() => createProfile(context.state, context.body.data, new Date())),
        201,
      ),
  },
  {
    method: 'PATCH',
    path: '/api/profiles/{id}',
    handle: (context) => {
      requireBodyIdMatchesPath(context.body, context.params.id);
      return single(
        context,
        asSingleRecord(() => updateProfile(context.state, context.params.id, context.body.data, new Date())),
      );
    },
  },
  {
    method: 'POST',
    path: '/api/profile-import',
    handle: (context) => {
      const { profile, created } = asSingleRecord(() => upsertProfile(context.state, context.body.data, new Date()));
      return single(context, profile, created ? 201 : 200);
    },
  },
];
