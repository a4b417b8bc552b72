import { KlaviyoCatalog } from '../../../src/clients/klaviyo/catalog';
import type { CatalogJobOutcome } from '../../../src/clients/klaviyo/catalog-job-outcome';
import { PlatformError } from '../../../src/platform/platform-error';
import type { ImportRun } from '../../../src/engine/importer';
import { RunProgress } from '../../../src/engine/run-progress';
import { Backlog, CatalogJobQueue, CatalogQueues, jobFailures } from '../../../src/importers/catalog-jobs';
import { KlaviyoClient } from '../../../src/clients/klaviyo/klaviyo-client';
import { createLogger } from '../../../src/logging/logger';
import { startKlaviyoEmulator } from '../../../sandbox/klaviyo-emulator';

interface SubmittedJob {
  kind: string;
  action: string;
  ids: string[];
}

/**
 * A catalog whose submissions and jobs end as `answer` says (an error refuses the submission); it
 * records every job submitted.
 */
function fakeCatalog(answer: (job: SubmittedJob) => Partial<CatalogJobOutcome> | Error = () => ({})) {
  const jobs: SubmittedJob[] = [];
  const catalog = {
    async submit(kind: string, action: string, records: Array<{ id?: string; attributes?: { externalId?: string } }>) {
      const job = { kind, action, ids: records.map((record) => record.id ?? record.attributes!.externalId!) };
      jobs.push(job);
      await new Promise((resolve) => setImmediate(resolve));
      const outcome = answer(job);
      if (outcome instanceof Error) throw outcome;
      const jobId = `job-${jobs.length}`;
      return {
        jobId,
        finished: Promise.resolve({ jobId, cancelled: false, refused: new Map(), unattributed: [], ...outcome }),
      };
    },
  };
  return { catalog: catalog as unknown as KlaviyoCatalog, jobs };
}

function fakeRun(controller = new AbortController()): ImportRun {
  return {
    progress: new RunProgress(),
    logger: createLogger('silent'),
    signal: controller.signal,
  } as unknown as ImportRun;
}

const category = (n: number, name = `Category ${n}`) => ({
  type: 'catalog-category' as const,
  attributes: { externalId: `c${n}`, integrationType: '$custom' as const, catalogType: '$default' as const, name },
});

/** Sends `count` categories and answers each one's outcome by external id once all are settled. */
async function addAndDrain(queue: CatalogJobQueue<'category', 'create'>, count: number, name?: (n: number) => string) {
  const sent = Array.from({ length: count }, (_, n) => queue.send(category(n, name?.(n))));
  const failures = await Promise.all(sent);
  await queue.drain();
  return new Map(failures.map((failure, n) => [`c${n}`, failure]));
}

describe('CatalogJobQueue', () => {
  it('sends 250 records as jobs of 100, 100 and 50 and tells each record it is done', async () => {
    const { catalog, jobs } = fakeCatalog();
    const run = fakeRun();
    const outcomes = await addAndDrain(new CatalogJobQueue(catalog, 'category', 'create', run), 250);
    expect(jobs.map((job) => job.ids.length)).toStrictEqual([100, 100, 50]);
    expect(new Set(jobs.flatMap((job) => job.ids)).size).toBe(250);
    expect(outcomes.size).toBe(250);
    expect([...outcomes.values()].every((failure) => failure === undefined)).toBe(true);
    expect(run.progress.counters).toMatchObject({ sent: 250, succeeded: 250 });
  });

  it('starts a new job before one would pass 5 MB', async () => {
    const { catalog, jobs } = fakeCatalog();
    const queue = new CatalogJobQueue(catalog, 'category', 'create', fakeRun());
    await addAndDrain(queue, 10, () => 'x'.repeat(1_200_000));
    // 1.2 MB each: four fit under 5 MB less the envelope's room, a fifth would not.
    expect(jobs.map((job) => job.ids.length)).toStrictEqual([4, 4, 2]);
  });

  it('sends a partial batch after the linger time without being drained', async () => {
    const { catalog, jobs } = fakeCatalog();
    const queue = new CatalogJobQueue(catalog, 'category', 'create', fakeRun(), { lingerMs: 10, envelopeBytes: 0 });
    await expect(queue.send(category(1))).resolves.toBeUndefined();
    expect(jobs).toHaveLength(1);
  });

  it('fails exactly the records Klaviyo refused, by their position in the job', async () => {
    const { catalog } = fakeCatalog((job) =>
      job.ids[0] === 'c0' ? { refused: new Map([[3, 'conflict: exists']]) } : {},
    );
    const run = fakeRun();
    const outcomes = await addAndDrain(new CatalogJobQueue(catalog, 'category', 'create', run), 120);
    expect([...outcomes].filter(([, failure]) => failure)).toStrictEqual([
      ['c3', 'Klaviyo refused the category create: conflict: exists'],
    ]);
    expect(run.progress.counters).toMatchObject({ sent: 120, succeeded: 119 });
  });

  it('fails only the records a refused submission points at, sends the others again, and goes on with the next jobs', async () => {
    const pointer = (index: number) => `/data/attributes/categories/data/${index}/attributes/name`;
    const refusal = new PlatformError('klaviyo', 'bulk_create_catalog_categories', 400, 'invalid', undefined, [
      { code: 'invalid', detail: 'bad name', pointer: pointer(2) },
      { code: 'invalid', detail: 'bad name', pointer: pointer(7) },
    ]);
    const { catalog, jobs } = fakeCatalog((job) => (job.ids.includes('c2') ? refusal : {}));
    const run = fakeRun();
    const outcomes = await addAndDrain(new CatalogJobQueue(catalog, 'category', 'create', run), 150);
    // The first job of 100 is refused, and its 98 good records are submitted again.
    expect(jobs.map((job) => job.ids.length).sort()).toStrictEqual([100, 50, 98].sort());
    expect(jobs.find((job) => job.ids.length === 98)!.ids).not.toContain('c7');
    expect(outcomes.size).toBe(150);
    expect([...outcomes].filter(([, failure]) => failure)).toStrictEqual([
      ['c2', `Klaviyo refused the category create: invalid bad name at ${pointer(2)}`],
      ['c7', `Klaviyo refused the category create: invalid bad name at ${pointer(7)}`],
    ]);
    expect(run.progress.counters).toMatchObject({ sent: 148, succeeded: 148 });
  });

  it('stops on an answer every request would get (403): no record fails on its own, and the run fails', async () => {
    const forbidden = new PlatformError('klaviyo', 'bulk_create_catalog_categories', 403, 'missing scope');
    const { catalog, jobs } = fakeCatalog(() => forbidden);
    const queue = new CatalogJobQueue(catalog, 'category', 'create', fakeRun(), { lingerMs: 200, envelopeBytes: 0 });
    const outcomes = await Promise.allSettled(Array.from({ length: 150 }, (_, n) => queue.send(category(n))));
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason === forbidden)).toBe(true);
    await expect(queue.drain()).rejects.toBe(forbidden);
    // The refused job is not split or sent again, and the records gathered behind it are not sent.
    expect(jobs.map((job) => job.ids.length)).toStrictEqual([100]);
  });

  it('stops when Klaviyo cannot be reached: its records, later sends and draining reject with the error', async () => {
    const outage = new PlatformError('klaviyo', 'bulk_create_catalog_categories', 503, 'unavailable');
    const { catalog } = fakeCatalog(() => outage);
    const onFatal = jest.fn();
    const queue = new CatalogJobQueue(catalog, 'category', 'create', fakeRun(), {
      lingerMs: 200,
      envelopeBytes: 0,
      onFatal,
    });
    const sent = Array.from({ length: 100 }, (_, n) => queue.send(category(n)));
    // Gathered, not yet in a job, when the queue stops.
    const gathered = queue.send(category(100));
    for (const outcome of await Promise.allSettled([...sent, gathered]))
      expect(outcome).toStrictEqual({ status: 'rejected', reason: outage });
    await expect(queue.drain()).rejects.toBe(outage);
    expect(onFatal).toHaveBeenCalledWith(outage);
    await expect(queue.send(category(101))).rejects.toBe(outage);
  });
});

describe('jobFailures', () => {
  const outcome = (extra: Partial<CatalogJobOutcome>): CatalogJobOutcome => ({
    jobId: 'j',
    cancelled: false,
    refused: new Map(),
    unattributed: [],
    ...extra,
  });

  it('is empty for a job without errors', () => {
    expect(jobFailures(outcome({}), 3, 'item create').size).toBe(0);
  });

  it('fails every record of a cancelled job', () => {
    expect([...jobFailures(outcome({ cancelled: true }), 2, 'item create').values()]).toStrictEqual([
      'Klaviyo cancelled the item create job',
      'Klaviyo cancelled the item create job',
    ]);
  });

  it('fails the records not refused by name when Klaviyo reports failures it does not place', () => {
    const failures = jobFailures(
      outcome({ refused: new Map([[0, 'bad price']]), unattributed: ['boom'] }),
      2,
      'item create',
    );
    expect(failures.get(0)).toBe('Klaviyo refused the item create: bad price');
    expect(failures.get(1)).toBe('the item create job reported failures without naming the record: boom');
  });
});

describe('Backlog', () => {
  it('lets readers on only below its limit, and waits for every tracked record to settle', async () => {
    const backlog = new Backlog(2);
    const settle: Array<() => void> = [];
    for (let n = 0; n < 2; n++) backlog.track(new Promise<void>((resolve) => settle.push(resolve)));
    let room = false;
    const waiting = backlog.roomAvailable().then(() => (room = true));
    await new Promise(setImmediate);
    expect(room).toBe(false);
    settle[0]();
    await waiting;
    expect(room).toBe(true);
    let allSettled = false;
    const settling = backlog.settled().then(() => (allSettled = true));
    await new Promise(setImmediate);
    expect(allSettled).toBe(false);
    settle[1]();
    await settling;
  });

  it('stops reading with the error of a record whose queue stopped', async () => {
    const backlog = new Backlog(1);
    let stop!: (error: Error) => void;
    backlog.track(new Promise<void>((_, reject) => (stop = reject)));
    const waiting = backlog.roomAvailable();
    stop(new Error('Klaviyo out of reach'));
    await expect(waiting).rejects.toThrow('Klaviyo out of reach');
    await expect(backlog.settled()).resolves.toBeUndefined();
    await expect(backlog.roomAvailable()).rejects.toThrow('Klaviyo out of reach');
  });

  it('ends the wait of readers when the run stops', async () => {
    const controller = new AbortController();
    const { catalog } = fakeCatalog();
    const queues = new CatalogQueues(catalog, fakeRun(controller), 1);
    queues.backlog.track(new Promise(() => undefined));
    const waiting = queues.backlog.roomAvailable();
    controller.abort(new Error('import stopped'));
    await expect(waiting).rejects.toThrow('import stopped');
  });
});

describe('CatalogQueues', () => {
  it('drains records a tracked record sends once its first is done (variants after their item)', async () => {
    const { catalog, jobs } = fakeCatalog();
    const queues = new CatalogQueues(catalog, fakeRun(), 10);
    let variantFailure: string | undefined = 'not sent';
    queues.backlog.track(
      (async () => {
        await queues.of('item', 'delete').send({ type: 'catalog-item', id: 'i1' });
        variantFailure = await queues.of('variant', 'delete').send({ type: 'catalog-variant', id: 'v1' });
      })(),
    );
    await queues.drain();
    expect(jobs.map((job) => `${job.kind} ${job.action}`)).toStrictEqual(['item delete', 'variant delete']);
    expect(variantFailure).toBeUndefined();
  });
});

describe('CatalogJobQueue against the Klaviyo emulator', () => {
  it('gives up on a job Klaviyo has not finished by the deadline: its records fail with the reason', async () => {
    const emulator = await startKlaviyoEmulator({ apiKey: 'pk_test', rateLimitSpeed: 0, jobProcessingMs: 60_000 });
    try {
      const client = new KlaviyoClient({
        apiKey: 'pk_test',
        apiUrl: emulator.url,
        logger: createLogger('silent'),
        timeoutMs: 5_000,
        jobTimeoutMs: 300,
      });
      const catalog = new KlaviyoCatalog(client);
      const run = fakeRun();
      const outcomes = await addAndDrain(new CatalogJobQueue(catalog, 'category', 'create', run), 3);

      expect([...outcomes.keys()]).toEqual(['c0', 'c1', 'c2']);
      for (const failure of outcomes.values())
        expect(failure).toMatch(
          /had not finished the category create job \S+ within BULK_IMPORT_KLAVIYO_JOB_TIMEOUT_SECONDS/,
        );
      expect(run.progress.counters).toMatchObject({ sent: 3, succeeded: 0 });
    } finally {
      await emulator.close();
    }
  });
});
