/**
 * What Klaviyo documents it refuses, checked on records as they go over the wire (snake_case
 * JSON:API attributes), so a dry run can tell which records a real run would lose. Each problem
 * names where it is (a JSON pointer below the path given) and why, never the value itself: the
 * values are personal data.
 */

/** One reason Klaviyo would refuse a record, and where in the request. */
export interface RecordProblem {
  pointer: string;
  reason: string;
}

/** Klaviyo's documented limits on the values of one record (spec revision 2026-07-15 and its ingestion limits). */
export const klaviyoValueLimits = {
  bytesPerString: 100_000,
  itemsPerArray: 4_000,
  nestingLevels: 10,
  /** Event times from 2000 on … */
  earliestTime: Date.UTC(2000, 0, 1),
  /** … up to a year ahead of now. */
  latestAheadMs: 365 * 24 * 60 * 60 * 1000,
};

/** The shape Klaviyo requires of phone numbers: +, country code, subscriber number. */
export const e164PhoneNumber = /^\+[1-9]\d{6,14}$/;
/** Something, an @, a domain with a dot: what every address Klaviyo takes has. */
const emailShape = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Attributes = Record<string, unknown>;

/** A profile's attributes: an identifier, the email's and phone number's form, and the values' limits. */
export function profileProblems(attributes: Attributes, pointer: string): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const { email, phone_number: phoneNumber, external_id: externalId } = attributes;
  if (![email, phoneNumber, externalId].some(isFilled))
    problems.push({ pointer, reason: 'the profile has no email, phone number or external id' });
  if (isFilled(email) && (typeof email !== 'string' || !emailShape.test(email)))
    problems.push({ pointer: `${pointer}/email`, reason: 'the email is not an email address' });
  if (isFilled(phoneNumber) && (typeof phoneNumber !== 'string' || !e164PhoneNumber.test(phoneNumber)))
    problems.push({ pointer: `${pointer}/phone_number`, reason: 'the phone number is not in E.164 form' });
  return [...problems, ...valueProblems(attributes, pointer)];
}

/** An event's attributes: its time within Klaviyo's window, and the values' limits. */
export function eventProblems(attributes: Attributes, pointer: string, now: Date): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const time = typeof attributes.time === 'string' ? Date.parse(attributes.time) : NaN;
  if (Number.isNaN(time)) problems.push({ pointer: `${pointer}/time`, reason: 'the event has no valid time' });
  else if (time < klaviyoValueLimits.earliestTime)
    problems.push({ pointer: `${pointer}/time`, reason: 'the event time is before 2000' });
  else if (time > now.getTime() + klaviyoValueLimits.latestAheadMs)
    problems.push({ pointer: `${pointer}/time`, reason: 'the event time is more than a year ahead' });
  return [...problems, ...valueProblems(attributes, pointer)];
}

/**
 * Events of one bulk request (the `events-bulk-create` entries) whose profile, metric and
 * unique_id an earlier event of the request has: Klaviyo refuses such a request whole.
 */
export function repeatedUniqueIds(entries: readonly unknown[], pointer: string): RecordProblem[] {
  const seen = new Set<string>();
  const problems: RecordProblem[] = [];
  entries.forEach((entry, entryIndex) => {
    const attributes = objectAt(entry, 'attributes');
    const profile = objectAt(objectAt(objectAt(attributes, 'profile'), 'data'), 'attributes');
    const events = arrayAt(objectAt(attributes, 'events'), 'data');
    const who = [profile.email, profile.phone_number, profile.external_id];
    events.forEach((event, eventIndex) => {
      const eventAttributes = objectAt(event, 'attributes');
      const metric = objectAt(objectAt(objectAt(eventAttributes, 'metric'), 'data'), 'attributes').name;
      const key = JSON.stringify([...who, metric, eventAttributes.unique_id]);
      if (eventAttributes.unique_id === undefined || !seen.has(key)) {
        seen.add(key);
        return;
      }
      problems.push({
        pointer: `${pointer}/${entryIndex}/attributes/events/data/${eventIndex}/attributes/unique_id`,
        reason: 'the unique_id is repeated for the same profile and metric in one request',
      });
    });
  });
  return problems;
}

/**
 * Strings over 100 KB anywhere in the attributes; arrays over 4,000 items and nesting deeper
 * than 10 levels inside any `properties` (Klaviyo's limits on custom properties).
 */
export function valueProblems(attributes: Attributes, pointer: string): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const walk = (value: unknown, at: string, propertyDepth: number | undefined, key?: string) => {
    if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value);
      if (bytes > klaviyoValueLimits.bytesPerString)
        problems.push({ pointer: at, reason: `a string of ${bytes} bytes is longer than Klaviyo's 100 KB` });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    // Inside properties, each object or array is a level; `properties` itself is the first.
    const depth = propertyDepth !== undefined ? propertyDepth + 1 : key === 'properties' ? 1 : undefined;
    if (depth !== undefined && depth > klaviyoValueLimits.nestingLevels) {
      problems.push({ pointer: at, reason: `properties are nested deeper than Klaviyo's 10 levels` });
      return;
    }
    if (Array.isArray(value)) {
      if (depth !== undefined && value.length > klaviyoValueLimits.itemsPerArray)
        problems.push({ pointer: at, reason: `an array of ${value.length} items is longer than Klaviyo's 4,000` });
      value.forEach((item, index) => walk(item, `${at}/${index}`, depth));
      return;
    }
    for (const [childKey, child] of Object.entries(value))
      walk(child, `${at}/${escapePointer(childKey)}`, depth, childKey);
  };
  for (const [key, value] of Object.entries(attributes))
    walk(value, `${pointer}/${escapePointer(key)}`, undefined, key);
  return problems;
}

function isFilled(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function objectAt(value: unknown, key: string): Attributes {
  const child = value !== null && typeof value === 'object' ? (value as Attributes)[key] : undefined;
  return child !== null && typeof child === 'object' && !Array.isArray(child) ? (child as Attributes) : {};
}

function arrayAt(value: unknown, key: string): unknown[] {
  const child = (value as Attributes)[key];
  return Array.isArray(child) ? (child as unknown[]) : [];
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
