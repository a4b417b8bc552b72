import { Writable } from 'node:stream';
import { KlaviyoCatalog } from '../../../src/clients/klaviyo/catalog';
import {
  bulkCreateEvents,
  eventIndexesOfPointer,
  wireEvents,
  type ProfileEvent,
} from '../../../src/clients/klaviyo/events';
import { KlaviyoClient } from '../../../src/clients/klaviyo/klaviyo-client';
import {
  findProfileIdsByEmail,
  getProfileImportJob,
  profileWire,
  profileImportErrors,
  submitProfileImportJob,
} from '../../../src/clients/klaviyo/profiles';
import { sendSplittingRefusals } from '../../../src/engine/send-splitting-refusals';
import { DryRunKlaviyo, dryRunRefusalListLimit, secondsAtRateLimit } from '../../../src/importers/dry-run-klaviyo';
import { createLogger } from '../../../src/logging/logger';

const now = new Date('2026-06-01T00:00:00Z');

/** A Klaviyo client whose every request the recorder answers; its URL leads nowhere. */
function dryRunClient() {
  const recorder = new DryRunKlaviyo(() => now);
  const client = new KlaviyoClient({
    apiKey: 'pk_unused',
    apiUrl: 'http://127.0.0.1:9',
    timeoutMs: 1_000,
    jobTimeoutMs: 5_000,
    logger: createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() })),
    transport: recorder,
  });
  return { recorder, client };
}

function orderEvent(uniqueId: string, metricName: string, email = 'ann@example.com'): ProfileEvent {
  return {
    profile: { email, externalId: 'customer-1' },
    event: { metricName, time: new Date('2026-05-01T00:00:00Z'), uniqueId, properties: { OrderId: uniqueId } },
  };
}

describe('DryRunKlaviyo', () => {
  it('answers a profile import job, its status and its errors as Klaviyo would, and counts it', async () => {
    const { recorder, client } = dryRunClient();
    const profiles = [
      { attributes: { externalId: 'c-1', email: 'ann@example.com' } },
      { attributes: { externalId: 'c-2' } },
    ];
    const jobId = await submitProfileImportJob(client, profiles.map(profileWire));
    expect(await getProfileImportJob(client, jobId)).toEqual({ status: 'complete', totalCount: 2 });
    const errors = [];
    for await (const error of profileImportErrors(client, jobId)) errors.push(error);
    expect(errors).toEqual([]);
    expect(await findProfileIdsByEmail(client, ['ann@example.com'])).toEqual(new Map());

    const report = recorder.report();
    expect(report.records.profiles).toBe(2);
    expect(report.requests.bulk_import_profiles.requests).toBe(1);
    // The body as it goes over the wire: snake_case, in the JSON:API envelope.
    const wire = JSON.stringify({
      data: {
        type: 'profile-bulk-import-job',
        attributes: {
          profiles: {
            data: [
              { type: 'profile', attributes: { email: 'ann@example.com', external_id: 'c-1' } },
              { type: 'profile', attributes: { external_id: 'c-2' } },
            ],
          },
        },
      },
    });
    expect(report.requests.bulk_import_profiles.bytes).toBe(Buffer.byteLength(wire));
    expect(Object.keys(report.requests).sort()).toEqual([
      'bulk_import_profiles',
      'get_bulk_import_profiles_job',
      'get_errors_for_bulk_import_profiles_job',
      'get_profiles',
    ]);
  });

  it('refuses the bad records of a request as Klaviyo does, so the others are sent again', async () => {
    const { recorder, client } = dryRunClient();
    const sources = [
      orderEvent('o-1', 'Placed Order'),
      orderEvent('o-2', 'Placed Order', 'not-an-email'),
      orderEvent('o-3', 'Placed Order', 'ann@example.com'),
    ];
    sources[2].event.time = new Date('1999-01-01T00:00:00Z');
    const events = sources.map(({ profile, event }) => wireEvents(profile, [event])[0]);
    const { accepted, refused } = await sendSplittingRefusals(
      events,
      (part) => bulkCreateEvents(client, part, { backfill: false }),
      {
        recordIndexesOfPointer: (pointer, part) => eventIndexesOfPointer(part, pointer),
        refusedWhat: 'Klaviyo refused the event',
      },
    );
    expect(accepted.flatMap((part) => part.records)).toEqual([events[0]]);
    expect(refused.map(({ record, reason }) => [sources[events.indexOf(record)].event.uniqueId, reason])).toEqual([
      ['o-3', expect.stringContaining('the event time is before 2000')],
      ['o-2', expect.stringContaining('the email is not an email address')],
    ]);
    const report = recorder.report();
    expect(report.records).toMatchObject({ events: 1, eventsPerMetric: { 'Placed Order': 1 } });
    expect(report.refusals).toEqual({
      count: 2,
      listLimit: dryRunRefusalListLimit,
      listed: [
        { operation: 'bulk_create_events', record: 'o-3', reason: 'the event time is before 2000' },
        { operation: 'bulk_create_events', record: 'o-2', reason: 'the email is not an email address' },
      ],
    });
    expect(report.requests.bulk_create_events.requests).toBe(2);
  });

  it('answers catalog jobs complete and lookups empty', async () => {
    const { recorder, client } = dryRunClient();
    const catalog = new KlaviyoCatalog(client);
    expect(await catalog.findCategoryNames(['$custom:::$default:::cat-1'])).toEqual(new Map());
    const job = await catalog.submit('category', 'create', [
      {
        type: 'catalog-category',
        attributes: { externalId: 'cat-1', name: 'Shoes', integrationType: '$custom', catalogType: '$default' },
      },
    ]);
    expect(await job.finished).toMatchObject({ cancelled: false, unattributed: [] });
    expect((await job.finished).refused.size).toBe(0);
    expect(recorder.report().records.catalogCategories).toBe(1);
  });

  it('lists refusals up to its limit and counts them all', async () => {
    const { recorder, client } = dryRunClient();
    const profiles = Array.from({ length: dryRunRefusalListLimit + 5 }, (_, index) => ({
      attributes: { externalId: `c-${index}`, email: 'no-at-sign' },
    }));
    await expect(submitProfileImportJob(client, profiles.map(profileWire))).rejects.toMatchObject({ status: 400 });
    const { refusals } = recorder.report();
    expect(refusals.count).toBe(dryRunRefusalListLimit + 5);
    expect(refusals.listed).toHaveLength(dryRunRefusalListLimit);
  });
});

describe('secondsAtRateLimit', () => {
  const limit = { burstPerSecond: 10, steadyPerMinute: 150 };
  it.each([
    [0, 0],
    [1, 0],
    [11, 1],
    [150, 14.9],
    [151, 60],
    [300, 74.9],
    [301, 120],
  ])('%i requests take %d s from first to last', (requests, seconds) => {
    expect(secondsAtRateLimit(requests, limit)).toBe(seconds);
  });
});

describe('DryRunKlaviyo with a body serialized beforehand', () => {
  it.each([
    ['text', (json: string) => json],
    ['bytes', (json: string) => Buffer.from(json)],
  ])('reads records and size from %s', async (_form, encode) => {
    const recorder = new DryRunKlaviyo(() => now);
    const json = JSON.stringify({
      data: {
        type: 'profile-bulk-import-job',
        attributes: { profiles: { data: [{ type: 'profile', attributes: { external_id: 'c-1', email: 'ann' } }] } },
      },
    });
    await expect(
      recorder.answer('bulk_import_profiles', {
        method: 'POST',
        url: '/api/profile-bulk-import-jobs',
        data: encode(json),
      }),
    ).rejects.toMatchObject({ response: { status: 400 } });
    const report = recorder.report();
    expect(report.requests.bulk_import_profiles).toMatchObject({ requests: 1, bytes: Buffer.byteLength(json) });
    expect(report.refusals.listed).toEqual([
      { operation: 'bulk_import_profiles', record: 'c-1', reason: 'the email is not an email address' },
    ]);
  });
});
