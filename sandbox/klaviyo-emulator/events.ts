import { bulkJobHandlers } from './bulk-jobs';
import { listCollection, resource, type OperationHandler, type RequestContext, type Resource } from './context';
import { asSingleRecord, invalid, notFound, RecordError } from './errors';
import { serializeProfile, upsertProfile, type ProfileData } from './profiles';
import {
  newId,
  type Attributes,
  type BulkJobKind,
  type EmulatorState,
  type EventRecord,
  type MetricRecord,
  type ProfileRecord,
} from './state';
import { bulkRecords } from './wire';

/** An event's attributes in a request, single or bulk (only a single event names its profile here). */
interface EventAttributes extends Attributes {
  metric: { data: { attributes: { name: string } } };
  profile?: { data: ProfileData };
  unique_id?: string | null;
  time?: string;
}

/** One entry of an event bulk create job: a profile and its events. */
interface EventBulkEntry {
  attributes: {
    profile: { data: ProfileData };
    events: { data: Array<{ attributes: EventAttributes }> };
    backfill?: boolean;
  };
}

const API_INTEGRATION = { object: 'integration', id: '0rG4eQ', key: 'api', name: 'API', category: 'API' };

/** The profile of an event is created or updated like an import does; the pointer says where it sits. */
function upsertEventProfile(state: EmulatorState, profileData: ProfileData | undefined, now: Date): ProfileRecord {
  try {
    return upsertProfile(state, profileData ?? {}, now).profile;
  } catch (error) {
    throw error instanceof RecordError ? error.under('/attributes/profile/data') : error;
  }
}

function metricNamed(state: EmulatorState, name: string, now: Date): MetricRecord {
  const existingId = state.metricIdsByName.get(name);
  if (existingId) return state.metrics.get(existingId)!;
  const metric = { id: newId(now.getTime()), name, created: now.toISOString(), updated: now.toISOString() };
  state.metrics.set(metric.id, metric);
  state.metricIdsByName.set(name, metric.id);
  return metric;
}

const EARLIEST_EVENT_TIME = Date.parse('1990-01-01T00:00:00Z');
const LATEST_EVENT_TIME_AHEAD_MS = 365 * 24 * 3_600_000;

/** "The time is truncated to the second. The time must be after the year 1990 and can only be up to 1 year in the future." */
function eventTime(attributes: Attributes, now: Date): string {
  const time = typeof attributes.time === 'string' ? Date.parse(attributes.time) : now.getTime();
  if (time < EARLIEST_EVENT_TIME || time > now.getTime() + LATEST_EVENT_TIME_AHEAD_MS) {
    throw new RecordError(
      400,
      'invalid',
      'Invalid input.',
      'The time must be after the year 1990 and can only be up to 1 year in the future.',
      '/attributes/time',
    );
  }
  return new Date(Math.floor(time / 1000) * 1000).toISOString();
}

/**
 * Records one event (single or bulk attributes alike) at `datetime`, which the caller checks
 * with eventTime before it touches the profile. As the spec says, only the first event
 * with the same unique_id for the same profile and metric is recorded; without a unique_id the
 * time to the second stands in for it.
 */
function recordEvent(
  state: EmulatorState,
  profile: ProfileRecord,
  attributes: EventAttributes,
  datetime: string,
  defaultBackfill: boolean,
  now: Date,
): void {
  const metric = metricNamed(state, attributes.metric.data.attributes.name, now);
  const uniqueId = attributes.unique_id ?? undefined;
  const key = `${profile.id}|${metric.id}|${uniqueId ?? `time:${datetime}`}`;
  if (state.eventUniqueKeys.has(key)) return;
  state.eventUniqueKeys.add(key);
  state.events.push({
    id: newId(now.getTime()),
    metricId: metric.id,
    profileId: profile.id,
    datetime,
    properties: (attributes.properties as Attributes) ?? {},
    uniqueId,
    value: (attributes.value as number | null | undefined) ?? undefined,
    valueCurrency: (attributes.value_currency as string | null | undefined) ?? undefined,
    backfill: (attributes.backfill as boolean | null | undefined) ?? defaultBackfill,
  });
  const lastEventDate = profile.attributes.last_event_date as string | null;
  if (!lastEventDate || lastEventDate < datetime) profile.attributes.last_event_date = datetime;
}

function serializeEvent(event: EventRecord, baseUrl: string): Resource {
  // Klaviyo folds value and unique_id into the stored properties as $value and $event_id.
  const eventProperties: Attributes = { ...event.properties };
  if (event.value !== undefined) eventProperties.$value = event.value;
  if (event.uniqueId !== undefined) eventProperties.$event_id = event.uniqueId;
  return resource(
    baseUrl,
    'events',
    'event',
    event.id,
    {
      timestamp: Math.floor(Date.parse(event.datetime) / 1000),
      event_properties: eventProperties,
      datetime: event.datetime,
      uuid: event.id,
    },
    {
      profile: {
        data: { type: 'profile', id: event.profileId },
        links: relationshipLinks(baseUrl, event.id, 'profile'),
      },
      metric: { data: { type: 'metric', id: event.metricId }, links: relationshipLinks(baseUrl, event.id, 'metric') },
    },
  );
}

/** What the inspection API adds to an event: facts Klaviyo keeps but does not return. */
export function inspectEvent(state: EmulatorState, event: EventRecord, baseUrl: string): Resource {
  return {
    ...serializeEvent(event, baseUrl),
    meta: {
      metric_name: state.metrics.get(event.metricId)?.name,
      profile_id: event.profileId,
      unique_id: event.uniqueId ?? null,
      backfill: event.backfill,
      value: event.value ?? null,
      value_currency: event.valueCurrency ?? null,
    },
  };
}

export function serializeMetric(metric: MetricRecord, baseUrl: string): Resource {
  return resource(baseUrl, 'metrics', 'metric', metric.id, {
    name: metric.name,
    created: metric.created,
    updated: metric.updated,
    integration: API_INTEGRATION,
  });
}

function relationshipLinks(baseUrl: string, eventId: string, relation: string) {
  return {
    self: `${baseUrl}/api/events/${eventId}/relationships/${relation}/`,
    related: `${baseUrl}/api/events/${eventId}/${relation}/`,
  };
}

const eventBulkCreateJobs: BulkJobKind = {
  type: 'event-bulk-create-job',
  collection: 'event-bulk-create-jobs',
  recordsOf: (body) => bulkRecords(body, 'events-bulk-create'),
  recordsPointer: '/data/attributes/events-bulk-create/data',
  checkRequest: (body) => refuseRepeatedUniqueIds(eventBulkCreateJobs.recordsOf(body) as EventBulkEntry[]),
  countRecords: (body) =>
    (eventBulkCreateJobs.recordsOf(body) as Partial<EventBulkEntry>[]).reduce(
      (sum, entry) => sum + (entry.attributes?.events?.data?.length ?? 0),
      0,
    ),
  apply: (entry: EventBulkEntry, state, now) => {
    const events = entry.attributes.events.data;
    const times = events.map((event, index) => {
      try {
        return eventTime(event.attributes, now);
      } catch (error) {
        throw error instanceof RecordError ? error.under(`/attributes/events/data/${index}`) : error;
      }
    });
    const profile = upsertEventProfile(state, entry.attributes.profile.data, now);
    events.forEach((event, index) =>
      recordEvent(state, profile, event.attributes, times[index], entry.attributes.backfill ?? false, now),
    );
  },
  errorReport: 'none',
};

/**
 * "If a unique_id is repeated for the same profile and metric, the request will fail and no
 * events will be processed." Profiles are compared by the identifiers the request gives.
 */
function refuseRepeatedUniqueIds(entries: EventBulkEntry[]): void {
  const seen = new Set<string>();
  entries.forEach((entry, entryIndex) => {
    const profile = entry.attributes.profile.data;
    const identity = JSON.stringify([
      profile.id,
      profile.attributes?.email,
      profile.attributes?.phone_number,
      profile.attributes?.external_id,
    ]);
    entry.attributes.events.data.forEach((event, eventIndex) => {
      const uniqueId = event.attributes.unique_id;
      if (uniqueId === undefined || uniqueId === null) return;
      const key = JSON.stringify([identity, event.attributes.metric.data.attributes.name, uniqueId]);
      if (seen.has(key)) {
        throw invalid(`unique_id '${uniqueId}' is repeated for the same profile and metric.`, {
          pointer: `/data/attributes/events-bulk-create/data/${entryIndex}/attributes/events/data/${eventIndex}/attributes/unique_id`,
        });
      }
      seen.add(key);
    });
  });
}

function eventField(event: EventRecord, field: string): unknown {
  switch (field) {
    case 'metric_id':
    case 'metric':
      return event.metricId;
    case 'profile_id':
    case 'profile':
      return event.profileId;
    case 'timestamp':
      return Date.parse(event.datetime) / 1000;
    default:
      return event.datetime;
  }
}

function listEvents(context: RequestContext) {
  const { state, baseUrl } = context;
  const { page, data, links } = listCollection(context, state.events, {
    fieldOf: eventField,
    serialize: (event) => serializeEvent(event, baseUrl),
    defaultPageSize: 200,
  });
  const include = (context.query.include as string[] | undefined) ?? [];
  const included: Resource[] = [];
  if (include.includes('metric')) {
    for (const id of new Set(page.map((event) => event.metricId)))
      included.push(serializeMetric(state.metrics.get(id)!, baseUrl));
  }
  if (include.includes('profile')) {
    for (const id of new Set(page.map((event) => event.profileId)))
      included.push(serializeProfile(state.profiles.get(id)!, baseUrl));
  }
  return { status: 200, body: { data, links, ...(include.length > 0 ? { included } : {}) } };
}

export const eventHandlers: OperationHandler[] = [
  ...bulkJobHandlers(eventBulkCreateJobs),
  {
    method: 'POST',
    path: '/api/events',
    handle: (context) => {
      const attributes = context.body.data.attributes as EventAttributes;
      const now = new Date();
      asSingleRecord(() => {
        const datetime = eventTime(attributes, now);
        const profile = upsertEventProfile(context.state, attributes.profile?.data, now);
        recordEvent(context.state, profile, attributes, datetime, false, now);
      });
      return { status: 202 };
    },
  },
  { method: 'GET', path: '/api/events', handle: listEvents },
  {
    method: 'GET',
    path: '/api/events/{id}',
    handle: (context) => {
      const event = context.state.events.find((candidate) => candidate.id === context.params.id);
      if (!event) throw notFound(`An event with id ${context.params.id} does not exist.`);
      return { status: 200, body: { data: serializeEvent(event, context.baseUrl) } };
    },
  },
  {
    method: 'GET',
    path: '/api/metrics',
    handle: (context) => {
      const { data, links } = listCollection(context, context.state.metrics.values(), {
        fieldOf: (_metric, field) => (API_INTEGRATION as Record<string, unknown>)[field.replace('integration.', '')],
        serialize: (metric) => serializeMetric(metric, context.baseUrl),
        defaultPageSize: 200,
      });
      return { status: 200, body: { data, links } };
    },
  },
  {
    method: 'GET',
    path: '/api/metrics/{id}',
    handle: (context) => {
      const metric = context.state.metrics.get(context.params.id);
      if (!metric) throw notFound(`A metric with id ${context.params.id} does not exist.`);
      return { status: 200, body: { data: serializeMetric(metric, context.baseUrl) } };
    },
  },
];
