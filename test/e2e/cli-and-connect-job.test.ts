/**
 * The two ways to run imports without the HTTP API, against the sandbox: the CLI as its own
 * process (as cron or a Cloud Run Job runs it, stdout not a terminal), and the Connect job's
 * POST /job in slices. Each must leave Klaviyo as an import over the HTTP API does.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env';
import { defaultMappingSettings } from '../../src/config/mapping-settings';
import { lastRunContainer } from '../../src/engine/last-runs';
import { dependencyOrder } from '../../src/engine/run-sequence';
import { createJobService } from '../../src/job-service';
import { createLogger } from '../../src/logging/logger';
import { http, pollUntil, startService, waitForState, type emulatorInspector } from '../support/service-harness';
import { commercetoolsRequest, seed } from '../support/sandbox-process';
import { sandboxScenario } from '../support/sandbox-scenario';

const projectRoot = path.resolve(__dirname, '..', '..');
const sizes = { seed: 31, categories: 8, products: 15, customers: 80, orders: 200 };
const klaviyoKinds = ['profiles', 'events', 'catalog-items', 'catalog-variants', 'catalog-categories'] as const;
type KlaviyoState = Record<(typeof klaviyoKinds)[number], string[]>;

/**
 * What Klaviyo holds, without what it derives itself (ids, links, creation and update times, a
 * profile's last event, which depends on whether the profile's import job or its first event came
 * first): each record as JSON, sorted, so two imports of the same data compare equal.
 */
async function klaviyoState(klaviyo: ReturnType<typeof emulatorInspector>): Promise<KlaviyoState> {
  // Klaviyo answers a bulk request before it applies it: wait until every job it accepted is done.
  await pollUntil('every Klaviyo job complete', async () => {
    const jobs = (await klaviyo.records('jobs')) as Array<{ attributes: { completed_at?: string | null } }>;
    return jobs.every((job) => job.attributes.completed_at) ? true : undefined;
  });
  const state = {} as KlaviyoState;
  for (const kind of klaviyoKinds) {
    const records = await klaviyo.records(kind);
    state[kind] = records
      .map(({ type, attributes }: { type: string; attributes: Record<string, unknown> }) => {
        const { created: _created, updated: _updated, uuid: _uuid, last_event_date: _last, ...stable } = attributes;
        return JSON.stringify({ type, attributes: stable });
      })
      .sort();
  }
  return state;
}

/** Whether the emulator has answered any request since its last reset. */
async function klaviyoHasBeenCalled(klaviyo: ReturnType<typeof emulatorInspector>): Promise<true | undefined> {
  const stats = (await klaviyo.stats()) as { requests: { total: number } };
  return stats.requests.total > 0 ? true : undefined;
}

/** What POST /job answers. */
interface JobAnswer {
  status: number;
  body: {
    completed: boolean;
    deadlineReached: boolean;
    imports: Array<{ type: string; state: string; mode?: string }>;
  };
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a user starts it (`npx ct-klaviyo-bulk-import …`), outside the project so no .env applies. */
function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'ct-klaviyo-bulk-import.js'), ...args], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: CliRun = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  const exited = new Promise<CliRun>((resolve) =>
    child.once('exit', (code) => {
      run.code = code;
      resolve(run);
    }),
  );
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, run, exited };
}

/** The lines a run prints, without the progress lines it adds every few seconds while an import runs. */
function resultLines(output: string): string[] {
  return output
    .trim()
    .split('\n')
    .filter((line) => !/^\w+: (running|stopping),/.test(line));
}

const scenario = sandboxScenario();
let reference: KlaviyoState;

beforeAll(async () => {
  await seed(scenario.sandbox(), sizes);
  // The reference: the same data imported over the HTTP API.
  const service = await startService(scenario.sandbox().env);
  try {
    for (const type of dependencyOrder) {
      await scenario.startImport(service.url, type);
      const ended = (await waitForState(service.url, type, ['completed', 'failed', 'stopped'])) as { state: string };
      expect(ended.state).toBe('completed');
    }
  } finally {
    await service.close();
  }
  reference = await klaviyoState(scenario.klaviyo());
}, 180_000);

describe('the CLI', () => {
  it('imports all four in dependency order, prints a line per import, exits 0, and leaves Klaviyo as the HTTP API does', async () => {
    const { run, exited } = startCli(['import', 'all'], scenario.sandbox().env);
    await exited;
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const completed = (type: string, read: number): unknown =>
      expect.stringMatching(
        new RegExp(`^${type} import completed: read ${read}, sent \\d+, failed 0, skipped \\d+ in [\\d.]+ s$`),
      );
    expect(resultLines(run.stdout)).toEqual([
      `categories: starting, ${sizes.categories} records to read`,
      completed('categories', sizes.categories),
      `products: starting, ${sizes.products} records to read`,
      completed('products', sizes.products),
      `customers: starting, ${sizes.customers} records to read`,
      completed('customers', sizes.customers),
      `orders: starting, ${sizes.orders} records to read`,
      completed('orders', sizes.orders),
      'Done: every import completed (categories, products, customers, orders)',
    ]);
    expect(await klaviyoState(scenario.klaviyo())).toEqual(reference);
  }, 180_000);

  it('SIGINT stops the running import with its checkpoint saved and exits 1 with the reason; --resume finishes it', async () => {
    // Slow answers, so the import is still running when the signal comes.
    await scenario.klaviyo().configure({ faults: { latencyMs: 500 } });
    const { child, run, exited } = startCli(['import', 'orders'], scenario.sandbox().env);
    await pollUntil('the orders import sending to Klaviyo', () => klaviyoHasBeenCalled(scenario.klaviyo()));
    child.kill('SIGINT');
    await exited;
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('SIGINT: stopping the running import and saving its checkpoint');
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^Not completed: orders import stopped \(read \d+, .*\); its checkpoint is saved and a resume continues it\. Run the same command with --resume to continue\.$/,
    );
    expect(await scenario.customObject('klaviyo-ct-bulk-import-checkpoint', 'orders')).toMatchObject({
      state: 'stopped',
    });

    await scenario.klaviyo().configure({ faults: { latencyMs: 0 } });
    const resumed = startCli(['import', 'orders', '--resume'], scenario.sandbox().env);
    await resumed.exited;
    expect(resumed.run.code).toBe(0);
    expect(resumed.run.stdout).toMatch(/^orders import completed: read \d+, sent \d+, failed 0/m);
    // The orders' events, every one of them once, as the HTTP API's import left them.
    expect((await klaviyoState(scenario.klaviyo())).events).toEqual(reference.events);
  }, 180_000);

  it('refuses arguments it does not take with the usage text and exit 2, before touching anything', async () => {
    for (const args of [
      ['import', 'everything'],
      ['import', 'categories', '--ids', 'a'],
      ['sync', 'all'],
    ]) {
      const { run, exited } = startCli(args, {});
      await exited;
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage: ct-klaviyo-bulk-import import <customers|orders|categories|products|all>');
    }
  });
});

describe('the Connect job', () => {
  // A fresh deployment: no import has completed, so the job's first round reads everything in full
  // (its later rounds read what changed since).
  beforeEach(async () => {
    for (const type of dependencyOrder) {
      const found = await commercetoolsRequest<{ version: number }>(
        scenario.sandbox(),
        'GET',
        `/custom-objects/${lastRunContainer}/${type}`,
      );
      if (found.status === 200) {
        const deleted = await commercetoolsRequest(
          scenario.sandbox(),
          'DELETE',
          `/custom-objects/${lastRunContainer}/${type}?version=${found.body.version}`,
        );
        expect(deleted.status).toBe(200);
      }
    }
  });

  it('works in slices under a short deadline; the slices add up to a complete import, each record in Klaviyo once', async () => {
    const logLines: string[] = [];
    const logs = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    });
    const config = loadConfig({ ...scenario.sandbox().env, BULK_IMPORT_JOB_DEADLINE_SECONDS: '2' });
    const job = createJobService(config, createLogger('info', logs), {
      settings: defaultMappingSettings(),
      retryPolicy: { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 },
    });
    const { port } = await job.listen(0);
    try {
      // Slow answers, so that no slice gets through every import.
      await scenario.klaviyo().configure({ faults: { latencyMs: 250 } });
      const answers: JobAnswer[] = [];
      while (answers.length < 40 && !answers.at(-1)?.body.completed) {
        const answer: JobAnswer = await http(`http://127.0.0.1:${port}/job`, 'POST');
        answers.push(answer);
      }
      expect(answers.map((answer) => answer.status).every((status) => status === 200)).toBe(true);
      expect(answers.at(-1)!.body).toMatchObject({ completed: true });
      const paused = answers.slice(0, -1);
      expect(paused.length).toBeGreaterThanOrEqual(2);
      for (const answer of paused) expect(answer.body).toMatchObject({ completed: false, deadlineReached: true });
      // A call after one that stopped an import mid-run continues that import first.
      for (const [index, answer] of answers.slice(1).entries()) {
        const stopped = paused[index].body.imports.at(-1);
        if (stopped?.state === 'stopped')
          expect(answer.body.imports[0]).toMatchObject({ type: stopped.type, mode: 'resume' });
      }
      expect(paused.some((answer) => answer.body.imports.at(-1)?.state === 'stopped')).toBe(true);
      expect(await klaviyoState(scenario.klaviyo())).toEqual(reference);
    } finally {
      await job.close(5_000);
    }
  }, 300_000);

  it('answers 409 to a call while the slice of an earlier call runs', async () => {
    const config = loadConfig({ ...scenario.sandbox().env, BULK_IMPORT_JOB_DEADLINE_SECONDS: '2' });
    const job = createJobService(config, createLogger('silent'), {
      settings: defaultMappingSettings(),
    });
    const { port } = await job.listen(0);
    try {
      await scenario.klaviyo().configure({ faults: { latencyMs: 200 } });
      const first = http(`http://127.0.0.1:${port}/job`, 'POST');
      await pollUntil('the first slice sending to Klaviyo', () => klaviyoHasBeenCalled(scenario.klaviyo()));
      expect((await http(`http://127.0.0.1:${port}/job`, 'POST')).status).toBe(409);
      expect((await first).status).toBe(200);
    } finally {
      await job.close(5_000);
    }
  });
});
