import { ObjectSerializer } from 'klaviyo-api';
import type { KlaviyoClient } from './klaviyo-client';
import { WireBodyWriter } from './wire-body';

/** An event as the orders import sends it (the SDK's camelCase attributes). */
export interface OrderEvent {
  metricName: string;
  time: Date;
  value?: number;
  valueCurrency?: string;
  uniqueId: string;
  properties: Record<string, unknown>;
}

/** Who an event belongs to. */
export interface OrderEventProfile {
  email?: string;
  externalId?: string;
}

/** One event and the profile it belongs to: the unit a bulk create request is built from. */
export interface ProfileEvent {
  profile: OrderEventProfile;
  event: OrderEvent;
}

/**
 * Klaviyo's limits for one bulk event create request (spec, bulk_create_events): events per
 * request, payload bytes, bytes of any one string, and properties per event.
 */
export const eventBulkCreateLimits = {
  events: 1_000,
  bytes: 5_000_000,
  bytesPerString: 100_000,
  propertiesPerEvent: 400,
};

export interface EventBulkCreateOptions {
  /** Recorded without triggering flows (settings.backfillEvents). */
  backfill: boolean;
  signal?: AbortSignal;
}

/**
 * An event in its wire form (snake_case JSON:API, as the SDK serializes it), built once as the
 * event arrives; a request's body is these forms put together, sent as they are.
 */
export interface WireEvent {
  /** The profile's entry form, `{"type":"profile","attributes":{…}}`, shared by the events of one order. */
  profileJson: Buffer;
  /** The event's entry form: `{"type":"event","attributes":{…}}`. */
  eventJson: Buffer;
  /** Events with the same key go in one entry: the same email and customer id. */
  profileKey: string;
  /** Events with the same key are repeats Klaviyo would refuse: the same profile, metric and unique_id. */
  eventKey: string;
  /** UTF-8 bytes the event adds to a request at most: its form, its profile's, and an entry around them. */
  bytes: number;
}

const entryStart = '{"type":"event-bulk-create","attributes":{"backfill":';
const entryProfile = ',"profile":{"data":';
const entryEvents = '},"events":{"data":[';
const entryEnd = ']}}}';
/** The bytes of an entry around its profile and one event, the comma before the entry included. */
const entryFrameBytes =
  entryStart.length + 'false'.length + entryProfile.length + entryEvents.length + entryEnd.length + 1;

/**
 * Serializes the events of one profile, and the profile once for all of them. The forms are UTF-8
 * outside the JavaScript heap, so that events waiting to go out do not make the heap grow.
 */
export function wireEvents(profile: OrderEventProfile, events: readonly OrderEvent[]): WireEvent[] {
  const profileJson = Buffer.from(
    JSON.stringify(
      ObjectSerializer.serialize({ type: 'profile', attributes: profile }, 'OnsiteProfileCreateQueryResourceObject'),
    ),
  );
  const profileKey = JSON.stringify([profile.email ?? null, profile.externalId ?? null]);
  return events.map((event) => {
    const eventJson = Buffer.from(
      JSON.stringify(
        ObjectSerializer.serialize(
          {
            type: 'event',
            attributes: {
              properties: event.properties,
              time: event.time,
              value: event.value,
              valueCurrency: event.valueCurrency,
              uniqueId: event.uniqueId,
              metric: { data: { type: 'metric', attributes: { name: event.metricName } } },
            },
          },
          'BaseEventCreateQueryBulkEntryResourceObject',
        ),
      ),
    );
    return {
      profileJson,
      eventJson,
      profileKey,
      eventKey: JSON.stringify([profileKey, event.metricName, event.uniqueId]),
      bytes: profileJson.length + eventJson.length + entryFrameBytes,
    };
  });
}

const requestBodyStart = '{"data":{"type":"event-bulk-create-job","attributes":{"events-bulk-create":{"data":[';
const requestBodyEnd = ']}}}}';
/** The bytes of a request's body around its entries. */
export const eventRequestEnvelopeBytes = requestBodyStart.length + requestBodyEnd.length;

/**
 * Sends events in one bulk create request. Klaviyo answers 202 with no job to follow: acceptance
 * is the last word the API gives, and unique_id makes sending the same event again harmless.
 */
export async function bulkCreateEvents(
  client: KlaviyoClient,
  events: readonly WireEvent[],
  options: EventBulkCreateOptions,
): Promise<void> {
  await client.callWithBody(
    'bulk_create_events',
    eventRequestBody(events, options.backfill),
    () =>
      client.events.bulkCreateEvents({
        data: { type: 'event-bulk-create-job', attributes: { eventsBulkCreate: { data: [] } } },
      }),
    options.signal,
  );
}

/**
 * The request's body: one entry per profile, its events in the order given. Events of the same
 * email and customer id share an entry, so a request with many orders of one buyer names the buyer
 * once. A repeated unique_id for the same profile and metric makes Klaviyo refuse the whole request
 * (and Klaviyo would keep only the first anyway), so repeats are left out.
 */
export function eventRequestBody(events: readonly WireEvent[], backfill: boolean): Buffer {
  // Each event's measure assumes an entry of its own: more than enough when buyers share entries.
  const body = new WireBodyWriter(events.reduce((bytes, event) => bytes + event.bytes, eventRequestEnvelopeBytes));
  body.write(requestBodyStart);
  eventEntries(events).entries.forEach(({ profileJson, eventJsons }, index) => {
    if (index > 0) body.write(',');
    body.write(entryStart);
    body.write(String(backfill));
    body.write(entryProfile);
    body.write(profileJson);
    body.write(entryEvents);
    eventJsons.forEach((eventJson, eventIndex) => {
      if (eventIndex > 0) body.write(',');
      body.write(eventJson);
    });
    body.write(entryEnd);
  });
  body.write(requestBodyEnd);
  return body.finish();
}

/**
 * The positions, in `events` as given to `eventRequestBody`, of the events a refusal's pointer
 * names: one event (`…/data/3/attributes/events/data/1/…`), or every event of an entry when the
 * pointer names the entry or its profile. A repeat left out of the request goes with its twin.
 */
export function eventIndexesOfPointer(events: readonly WireEvent[], pointer: string): number[] {
  const match =
    /^\/data\/attributes\/events-bulk-create\/data\/(\d+)(?:\/attributes\/events\/data\/(\d+))?(?:\/|$)/.exec(pointer);
  if (!match) return [];
  const entry = eventEntries(events).positions[Number(match[1])];
  if (!entry) return [];
  if (match[2] === undefined) return entry.flat();
  return entry[Number(match[2])] ?? [];
}

/** The request's entries, and for each entry and event the positions in `events` it stands for. */
function eventEntries(events: readonly WireEvent[]) {
  const entries = new Map<string, { profileJson: Buffer; eventJsons: Buffer[] }>();
  const positions = new Map<string, number[][]>();
  const sent = new Map<string, number[]>();
  events.forEach(({ profileKey, eventKey, profileJson, eventJson }, index) => {
    const twin = sent.get(eventKey);
    if (twin) {
      twin.push(index);
      return;
    }
    let entry = entries.get(profileKey);
    if (!entry) {
      entry = { profileJson, eventJsons: [] };
      entries.set(profileKey, entry);
      positions.set(profileKey, []);
    }
    const eventPositions = [index];
    sent.set(eventKey, eventPositions);
    positions.get(profileKey)!.push(eventPositions);
    entry.eventJsons.push(eventJson);
  });
  return { entries: [...entries.values()], positions: [...positions.values()] };
}

/**
 * Why Klaviyo would refuse this event whatever else the request holds, or undefined when it fits.
 * One such event refuses its whole request, so it is held back and its order failed instead.
 */
export function eventLimitViolation(event: OrderEvent, serializedBytes: number, maxBytes: number): string | undefined {
  if (serializedBytes > maxBytes) return `event of ${serializedBytes} bytes is larger than a request may be`;
  const propertyCount = Object.keys(event.properties).length;
  if (propertyCount > eventBulkCreateLimits.propertiesPerEvent) {
    return `event has ${propertyCount} properties, more than Klaviyo's ${eventBulkCreateLimits.propertiesPerEvent}`;
  }
  // A string's UTF-8 bytes are no more than its JSON form's, so an event whose whole JSON is within
  // the per-string limit holds no string over it: the walk through every property (10% of the
  // orders import's CPU profile) is only needed for large events.
  if (serializedBytes <= eventBulkCreateLimits.bytesPerString) return undefined;
  const longest = longestStringBytes(event.properties);
  if (longest > eventBulkCreateLimits.bytesPerString) {
    return `a property string of ${longest} bytes is longer than Klaviyo's ${eventBulkCreateLimits.bytesPerString}`;
  }
  return undefined;
}

function longestStringBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value === null || typeof value !== 'object') return 0;
  let longest = 0;
  for (const child of Object.values(value)) longest = Math.max(longest, longestStringBytes(child));
  return longest;
}
