import { KlaviyoClient } from '../../../src/clients/klaviyo/klaviyo-client';
import { profileWire, submitProfileImportJob } from '../../../src/clients/klaviyo/profiles';
import { CommitTracker } from '../../../src/engine/checkpoints';
import type { ImportRun } from '../../../src/engine/importer';
import { RunProgress } from '../../../src/engine/run-progress';
import { createLogger } from '../../../src/logging/logger';
import { ProfileJobFollower, type SubmittedProfileJob } from '../../../src/importers/profile-job-follower';
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../../../sandbox/klaviyo-emulator';
import { stringContaining } from '../../support/matchers';

describe('ProfileJobFollower against the Klaviyo emulator', () => {
  let emulator: KlaviyoEmulator;
  let klaviyo: KlaviyoClient;

  beforeAll(async () => {
    emulator = await startKlaviyoEmulator({ apiKey: 'pk_test', rateLimitSpeed: 0, jobProcessingMs: 20 });
    klaviyo = new KlaviyoClient({
      apiKey: 'pk_test',
      apiUrl: emulator.url,
      logger: createLogger('silent'),
      timeoutMs: 5_000,
      jobTimeoutMs: 60_000,
    });
  });
  afterAll(() => emulator.close());

  function runContext(controller = new AbortController()): ImportRun {
    return {
      runId: 'run',
      type: 'customers',
      request: { mode: 'all' },
      ranges: [{}],
      tracker: new CommitTracker([{}], () => undefined),
      progress: new RunProgress(),
      signal: controller.signal,
      logger: createLogger('silent'),
    };
  }

  it('counts a finished job, resends the profiles refused for their phone only, and fails the rest with a reason', async () => {
    const run = runContext();
    const profiles = [
      { attributes: { email: 'a@example.com', externalId: 'c-a', phoneNumber: '+4915112345678' } },
      { attributes: { email: 'b@example.com', externalId: 'c-b', phoneNumber: '0151 2345678' } },
      { attributes: { externalId: 'c-c', phoneNumber: 'call me' } },
    ];
    const jobId = await submitProfileImportJob(klaviyo, profiles.map(profileWire));
    const resent: string[][] = [];
    const unfinished: string[][] = [];
    const follower = new ProfileJobFollower(
      klaviyo,
      run,
      async (ids) => {
        resent.push(ids);
        // Resent without phone; the last one has no identifier left and is refused again.
        const retryJob = await submitProfileImportJob(klaviyo, [
          profileWire({ attributes: { email: 'b@example.com', externalId: 'c-b' } }),
          profileWire({ attributes: { firstName: 'no identifier' } }),
        ]);
        return [{ jobId: retryJob, customerIds: ids, withoutPhone: true } satisfies SubmittedProfileJob];
      },
      (jobs) => unfinished.push(jobs.map((job) => job.jobId)),
    );
    await follower.follow({ jobId, customerIds: ['c-a', 'c-b', 'c-c'], withoutPhone: false });
    await follower.drain();

    expect(resent).toEqual([['c-b', 'c-c']]);
    expect(run.progress.counters).toMatchObject({ succeeded: 2, failed: 1 });
    expect(run.progress.recentFailures).toEqual([
      { id: 'c-c', reason: stringContaining('Klaviyo refused the profile') },
    ]);
    expect(unfinished[unfinished.length - 1]).toEqual([]);
  });

  it('gives up on jobs Klaviyo has not finished by the deadline: their customers fail with the reason, nothing waits forever', async () => {
    emulator.configure({ jobProcessingMs: 60_000 });
    try {
      const impatient = new KlaviyoClient({
        apiKey: 'pk_test',
        apiUrl: emulator.url,
        logger: createLogger('silent'),
        timeoutMs: 5_000,
        jobTimeoutMs: 300,
      });
      const run = runContext();
      const unfinished: string[][] = [];
      const follower = new ProfileJobFollower(
        impatient,
        run,
        async () => [],
        (jobs) => unfinished.push(jobs.map((job) => job.jobId)),
      );
      const first = await submitProfileImportJob(impatient, [
        profileWire({ attributes: { email: 'slow-1@example.com' } }),
      ]);
      const second = await submitProfileImportJob(impatient, [
        profileWire({ attributes: { email: 'slow-2@example.com' } }),
      ]);
      await follower.follow({ jobId: first, customerIds: ['c-1'], withoutPhone: false });
      await follower.follow({ jobId: second, customerIds: ['c-2'], withoutPhone: false });
      await follower.drain();

      expect(run.progress.counters).toMatchObject({ succeeded: 0, failed: 2 });
      expect(run.progress.recentFailures).toEqual([
        { id: 'c-1', reason: stringContaining(`had not finished the profile import job ${first}`) },
        { id: 'c-2', reason: stringContaining(`had not finished the profile import job ${second}`) },
      ]);
      expect(unfinished[unfinished.length - 1]).toEqual([]);
    } finally {
      emulator.configure({ jobProcessingMs: 20 });
    }
  });

  it('lets a submission on only once fewer than its limit of jobs are unfinished', async () => {
    const run = runContext();
    const follower = new ProfileJobFollower(
      klaviyo,
      run,
      async () => [],
      () => undefined,
      2,
    );
    const submit = async (n: number) => ({
      jobId: await submitProfileImportJob(klaviyo, [profileWire({ attributes: { email: `wait-${n}@example.com` } })]),
      customerIds: [`c-${n}`],
      withoutPhone: false,
    });
    await follower.follow(await submit(1));
    // Two unfinished: the second submission waits until the first job is followed to its end.
    await follower.follow(await submit(2));
    expect(run.progress.counters.succeeded).toBe(1);
    await follower.drain();
    expect(run.progress.counters.succeeded).toBe(2);
  });

  it('ends a waiting submission when the run stops', async () => {
    emulator.configure({ jobProcessingMs: 60_000 });
    try {
      const controller = new AbortController();
      const run = runContext(controller);
      const unfinished: string[][] = [];
      const follower = new ProfileJobFollower(
        klaviyo,
        run,
        async () => [],
        (jobs) => unfinished.push(jobs.map((job) => job.jobId)),
        1,
      );
      const jobId = await submitProfileImportJob(klaviyo, [
        profileWire({ attributes: { email: 'never-done@example.com' } }),
      ]);
      const waiting = follower.follow({ jobId, customerIds: ['c-1'], withoutPhone: false });
      controller.abort();
      await waiting;
      await follower.drain();
      // The job Klaviyo has not finished stays in the checkpoint for the resumed run.
      expect(unfinished[unfinished.length - 1]).toEqual([jobId]);
      expect(run.progress.counters).toMatchObject({ succeeded: 0, failed: 0 });
    } finally {
      emulator.configure({ jobProcessingMs: 20 });
    }
  });
});
