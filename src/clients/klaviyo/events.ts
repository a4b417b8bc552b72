import type { EventsBulkCreateQueryResourceObject } from 'klaviyo-api';
import type { KlaviyoClient } from './klaviyo-client';

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
 * Sends events in one bulk create request. Klaviyo answers 202 with no job to follow: acceptance
 * is the last word the API gives, and unique_id makes sending the same event again harmless.
 */
export async function bulkCreateEvents(
  client: KlaviyoClient,
  events: ProfileEvent[],
  options: EventBulkCreateOptions,
): Promise<void> {
  await client.call(
    'bulk_create_events',
    () =>
      client.events.bulkCreateEvents({
        data: {
          type: 'event-bulk-create-job',
          attributes: { eventsBulkCreate: { data: eventsPerProfile(events, options.backfill) } },
        },
      }),
    options.signal,
  );
}

/**
 * One bulk entry per profile, its events in the order given. Events of the same email and
 * customer id share an entry, so a request with many orders of one buyer names the buyer once.
 * A repeated unique_id for the same profile and metric makes Klaviyo refuse the whole request
 * (and Klaviyo would keep only the first anyway), so repeats are left out.
 */
export function eventsPerProfile(events: ProfileEvent[], backfill: boolean): EventsBulkCreateQueryResourceObject[] {
  return eventEntries(events, backfill).entries;
}

/**
 * The positions, in `events` as given to `eventsPerProfile`, of the events a refusal's pointer
 * names: one event (`…/data/3/attributes/events/data/1/…`), or every event of an entry when the
 * pointer names the entry or its profile. A repeat left out of the request goes with its twin.
 */
export function eventIndexesOfPointer(events: ProfileEvent[], pointer: string): number[] {
  const match =
    /^\/data\/attributes\/events-bulk-create\/data\/(\d+)(?:\/attributes\/events\/data\/(\d+))?(?:\/|$)/.exec(pointer);
  if (!match) return [];
  const entry = eventEntries(events, false).positions[Number(match[1])];
  if (!entry) return [];
  if (match[2] === undefined) return entry.flat();
  return entry[Number(match[2])] ?? [];
}

/** The request's entries, and for each entry and event the positions in `events` it stands for. */
function eventEntries(events: ProfileEvent[], backfill: boolean) {
  const entries = new Map<string, EventsBulkCreateQueryResourceObject>();
  const positions = new Map<string, number[][]>();
  const sent = new Map<string, number[]>();
  events.forEach(({ profile, event }, index) => {
    const key = JSON.stringify([profile.email ?? null, profile.externalId ?? null]);
    const eventKey = JSON.stringify([key, event.metricName, event.uniqueId]);
    const twin = sent.get(eventKey);
    if (twin) {
      twin.push(index);
      return;
    }
    let entry = entries.get(key);
    if (!entry) {
      entry = {
        type: 'event-bulk-create',
        attributes: {
          profile: { data: { type: 'profile', attributes: { ...profile } } },
          events: { data: [] },
          backfill,
        },
      };
      entries.set(key, entry);
      positions.set(key, []);
    }
    const eventPositions = [index];
    sent.set(eventKey, eventPositions);
    positions.get(key)!.push(eventPositions);
    entry.attributes.events.data.push({
      type: 'event',
      attributes: {
        properties: event.properties,
        time: event.time,
        value: event.value,
        valueCurrency: event.valueCurrency,
        uniqueId: event.uniqueId,
        metric: { data: { type: 'metric', attributes: { name: event.metricName } } },
      },
    });
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
