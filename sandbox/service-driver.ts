/**
 * Drives the service the way a user does, for `npm run demo`, `npm run bench` and the tests: starts the
 * sandbox (commercetools sandbox + Klaviyo emulator) and the service as child processes, starts
 * imports over the service's HTTP API and polls their status, and reads the sandbox's counters.
 *
 * Every child is a single Node process started with this process's Node (24 under npm scripts)
 * and tsx's loader (`--import tsx`) or built JavaScript, so a child's pid is the process that
 * does the work (no tsx wrapper in between): signals reach it and /proc/<pid> describes it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { RequestStats } from './commercetools/server';
import type { EmulatorStats as KlaviyoEmulatorStats } from './klaviyo-emulator';
import type { RunStatus } from '../src/engine/run-status';
import type { ImportType } from '../src/engine/run-types';
import { serviceEnvironment, serviceNodeFlags } from '../src/runtime/memory-policy';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Node arguments that run the service from its TypeScript sources, as `npm run start-ts` does. */
export const SERVICE_FROM_SOURCE = [
  ...serviceNodeFlags,
  '--import',
  'tsx',
  path.join(PROJECT_ROOT, 'src', 'server.ts'),
];

const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 40;

// ---------------------------------------------------------------------------------------------
// Child processes

/** A child process whose last output lines are kept, to explain a failure. */
export interface ManagedChild {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last lines it wrote (stdout and stderr), oldest first. */
  tail: string[];
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

const runningChildren = new Set<ManagedChild>();
// Last resort if this process ends without stopping its children (an uncaught error): kill them
// rather than leave a sandbox or a service running.
process.once('exit', () => {
  for (const child of runningChildren) child.process.kill('SIGKILL');
});

function spawnNode(
  name: string,
  nodeArgs: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): ManagedChild {
  const child = spawn(process.execPath, nodeArgs, { cwd: PROJECT_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const managed: ManagedChild = {
    name,
    pid: child.pid ?? -1,
    process: child,
    tail: [],
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      runningChildren.delete(managed);
    },
  };
  runningChildren.add(managed);
  child.once('exit', () => runningChildren.delete(managed));
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        managed.tail.push(line);
        if (managed.tail.length > LOG_TAIL_LINES) managed.tail.shift();
        onLine(line);
      }
    });
  }
  return managed;
}

/** Resolves with `ready`'s value once it returns one for a line; rejects if the child exits or time runs out. */
function waitForLine<T>(child: ManagedChild, ready: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      reject(
        new Error(
          `${child.name} did not start: ${reason}\n--- last output of ${child.name} ---\n${child.tail.join('\n')}`,
        ),
      );
    };
    const onData = () => {
      for (const line of child.tail) {
        const value = ready(line);
        if (value !== undefined) {
          cleanup();
          resolve(value);
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited with ${signal ?? `code ${code}`}`);
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.process.stdout!.off('data', onData);
      child.process.stderr!.off('data', onData);
      child.process.off('exit', onExit);
    };
    // Listeners added after spawnNode's, so the line is already in the tail when these run.
    child.process.stdout!.on('data', onData);
    child.process.stderr!.on('data', onData);
    child.process.once('exit', onExit);
  });
}

/** Stops every child still running. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...runningChildren].map((child) => child.stop()));
}

/**
 * On Ctrl-C or SIGTERM: stop the children (the service saves its checkpoint, the sandbox closes)
 * and exit with 130. A second signal exits at once.
 */
export function stopChildrenOnSignals(log: (message: string) => void): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${signal}: stopping the service and the sandbox`);
    void stopAllChildren().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Runs a script's `main` and exits with the code it returns. If it throws: logs the message,
 * stops the children and exits with 1.
 */
export function runMain(main: () => Promise<number>, log: (message: string) => void): void {
  main().then(
    (code) => process.exit(code),
    async (error: unknown) => {
      log(`failed: ${error instanceof Error ? error.message : String(error)}`);
      await stopAllChildren();
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Sandbox

export interface DatasetSizes {
  customers: number;
  orders: number;
  categories: number;
  products: number;
}

export interface SandboxOptions {
  sizes: DatasetSizes;
  /** Klaviyo rate limits: 1 = Klaviyo's own, 0 = off; the sandbox's default is 1. */
  rateLimitSpeed?: number;
  seed?: string;
  /** Start only the commercetools sandbox (`--without-klaviyo`). */
  withoutKlaviyo?: boolean;
  /** Serve the commercetools mock without corrections (`--raw-mock`). */
  rawMock?: boolean;
  /** Seeding large data sets takes a while. */
  startTimeoutMs?: number;
  /** Receives each line the sandbox writes to stderr (its log). */
  onLog?: (line: string) => void;
  /** Node options before the script, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

export interface RunningSandbox {
  /** The environment the sandbox printed: CT_* and (unless `withoutKlaviyo`) KLAVIYO_* variables for the service. */
  env: Record<string, string>;
  commercetoolsUrl: string;
  /** Undefined with `withoutKlaviyo`. */
  klaviyoUrl: string | undefined;
  child: ManagedChild;
}

const COMMERCETOOLS_ENV_KEYS = ['CT_API_URL', 'CT_AUTH_URL', 'CT_PROJECT_ID', 'CT_API_CLIENT'];
const KLAVIYO_ENV_KEYS = ['KLAVIYO_AUTH_KEY', 'KLAVIYO_API_URL'];

/** Starts `sandbox/cli.ts` on free ports, seeded with `sizes`, and waits for its environment lines. */
export function startSandbox(
  options: SandboxOptions & { withoutKlaviyo?: false },
): Promise<RunningSandbox & { klaviyoUrl: string }>;
export function startSandbox(options: SandboxOptions): Promise<RunningSandbox>;
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const args = [
    ...(options.nodeArgs ?? []),
    '--import',
    'tsx',
    path.join(PROJECT_ROOT, 'sandbox', 'cli.ts'),
    '--ct-port',
    '0',
    '--klaviyo-port',
    '0',
    ...(options.rateLimitSpeed === undefined ? [] : ['--rate-limit-speed', String(options.rateLimitSpeed)]),
    '--seed',
    options.seed ?? '1',
    // The sandbox stops by itself if this process dies without stopping it.
    '--exit-on-stdin-close',
    ...(options.withoutKlaviyo ? ['--without-klaviyo'] : []),
    ...(options.rawMock ? ['--raw-mock'] : []),
    ...Object.entries(options.sizes).flatMap(([kind, count]) => [`--${kind}`, String(count)]),
  ];
  const requiredKeys = options.withoutKlaviyo
    ? COMMERCETOOLS_ENV_KEYS
    : [...COMMERCETOOLS_ENV_KEYS, ...KLAVIYO_ENV_KEYS];
  const env: Record<string, string> = {};
  const child = spawnNode('sandbox', args, process.env, (line) => {
    const separator = line.indexOf('=');
    if (/^[A-Z_]+=/.test(line)) env[line.slice(0, separator)] = line.slice(separator + 1);
    else options.onLog?.(line);
  });
  try {
    await waitForLine(
      child,
      () => (requiredKeys.every((key) => key in env) ? true : undefined),
      options.startTimeoutMs ?? 300_000,
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { env, commercetoolsUrl: env.CT_API_URL, klaviyoUrl: env.KLAVIYO_API_URL, child };
}

// ---------------------------------------------------------------------------------------------
// Service

export interface ServiceOptions {
  /** Node arguments that run the service: SERVICE_FROM_SOURCE or a built server.js. */
  nodeArgs: string[];
  /** The sandbox's environment. */
  sandboxEnv: Record<string, string>;
  startTimeoutMs?: number;
  /** Receives each line the service writes (JSON log lines on stdout). */
  onLog?: (line: string) => void;
}

export interface RunningService {
  url: string;
  child: ManagedChild;
}

/** Starts the service on a free port and waits for its "listening" log line. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  // BULK_IMPORT_PORT must be 1..65535, so a free port is picked here rather than passing 0.
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serviceEnvironment,
    ...options.sandboxEnv,
    BULK_IMPORT_PORT: String(port),
    // Set empty so that a key or auto-resume in a local .env (dotenv never overrides) stays out.
    BULK_IMPORT_API_KEY: '',
    BULK_IMPORT_AUTO_RESUME: 'false',
  };
  const child = spawnNode('service', options.nodeArgs, env, (line) => options.onLog?.(line));
  try {
    const listening = await waitForLine(
      child,
      (line) => /"Bulk import API listening on port (\d+)"/.exec(line)?.[1],
      options.startTimeoutMs ?? 60_000,
    );
    return { url: `http://127.0.0.1:${listening}`, child };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Imports over the HTTP API

/** POST /sync/<type>: the run's id, or an error naming the answer when the start was refused. */
export async function startImport(serviceUrl: string, type: ImportType): Promise<{ runId: string }> {
  const { status, body } = await requestJson<{ runId?: string; message?: string } | undefined>(
    'POST',
    `${serviceUrl}/sync/${type}`,
    {},
  );
  if (status === 202 && body?.runId) return { runId: body.runId };
  throw new Error(`POST /sync/${type} answered ${status}: ${body?.message ?? JSON.stringify(body)}`);
}

const FINAL_STATES = ['completed', 'failed', 'stopped', 'interrupted'];

export interface WaitOptions {
  timeoutMs: number;
  /** Give up sooner when the counters have not moved for this long (a job that never finishes). */
  stallMs?: number;
  pollMs?: number;
  onPoll?: (status: RunStatus) => void;
}

/**
 * Polls GET /sync/<type>/status until the run ends. On timeout, or when the counters stop moving
 * for `stallMs`, it asks the service to stop the run and throws. Returns the final status and how many status requests were made (the
 * last one, after the run ended, reads the lock from commercetools; the benchmark subtracts it).
 */
export async function waitForImport(
  serviceUrl: string,
  type: ImportType,
  options: WaitOptions,
): Promise<{ status: RunStatus; polls: number }> {
  const deadline = Date.now() + options.timeoutMs;
  let counters = '';
  let movedAt = Date.now();
  for (let polls = 1; ; polls++) {
    const { body: status } = await requestJson<RunStatus>('GET', `${serviceUrl}/sync/${type}/status`);
    options.onPoll?.(status);
    if (FINAL_STATES.includes(status.state)) return { status, polls };
    if (JSON.stringify(status.counters) !== counters) {
      counters = JSON.stringify(status.counters);
      movedAt = Date.now();
    }
    const stalled = options.stallMs !== undefined && Date.now() - movedAt > options.stallMs;
    if (stalled || Date.now() > deadline) {
      await requestJson('POST', `${serviceUrl}/sync/${type}/stop`).catch(() => undefined);
      const why = stalled
        ? `made no progress for ${Math.round(options.stallMs! / 1000)} s`
        : `was still ${status.state} after ${Math.round(options.timeoutMs / 1000)} s`;
      throw new Error(`the ${type} import ${why} (${counters}); asked it to stop`);
    }
    await sleep(options.pollMs ?? 500);
  }
}

// ---------------------------------------------------------------------------------------------
// Sandbox inspection

export type { KlaviyoEmulatorStats };

/** What GET /__sandbox/stats answers. */
export interface CommercetoolsSandboxStats {
  requests: RequestStats;
}

async function klaviyoStats(klaviyoUrl: string): Promise<KlaviyoEmulatorStats> {
  return (await requestJson<KlaviyoEmulatorStats>('GET', `${klaviyoUrl}/__emulator/stats`, undefined, true)).body;
}

export async function commercetoolsStats(commercetoolsUrl: string): Promise<CommercetoolsSandboxStats> {
  return (await requestJson<CommercetoolsSandboxStats>('GET', `${commercetoolsUrl}/__sandbox/stats`, undefined, true))
    .body;
}

/**
 * Klaviyo applies bulk jobs after accepting them, and the service does not wait for event jobs
 * (Klaviyo has no status endpoint for them), so records keep landing after a run ends. Waits
 * until the emulator's record counts stay the same for `quietMs`.
 */
export async function settledKlaviyoStats(
  klaviyoUrl: string,
  quietMs = 1_000,
  timeoutMs = 60_000,
): Promise<KlaviyoEmulatorStats> {
  const deadline = Date.now() + timeoutMs;
  let previous = await klaviyoStats(klaviyoUrl);
  let quietSince = Date.now();
  for (;;) {
    await sleep(200);
    const current = await klaviyoStats(klaviyoUrl);
    if (JSON.stringify(current.records) !== JSON.stringify(previous.records)) quietSince = Date.now();
    previous = current;
    if (Date.now() - quietSince >= quietMs || Date.now() > deadline) return current;
  }
}

// ---------------------------------------------------------------------------------------------
// commercetools, read through its API as any client would

/** A bearer token from the sandbox's OAuth endpoint (client credentials flow), given the CT_* variables it printed. */
export async function fetchToken(sandboxEnv: Record<string, string>): Promise<string> {
  const { clientId, secret } = JSON.parse(sandboxEnv.CT_API_CLIENT) as { clientId: string; secret: string };
  const response = await fetch(`${sandboxEnv.CT_AUTH_URL}/oauth/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  if (!response.ok)
    throw new Error(`commercetools token request answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

const RECORD_PAGE_SIZE = 500;

/** The records of a commercetools resource (those matching `where`, if given), page by page, paging by id (offset stops at 10,000). */
export async function* recordPages<T extends { id: string }>(
  sandboxEnv: Record<string, string>,
  token: string,
  resource: string,
  where?: string,
): AsyncGenerator<T[]> {
  let lastId: string | undefined;
  for (;;) {
    const predicates = [where, lastId && `id > "${lastId}"`].filter(Boolean);
    const params = new URLSearchParams({
      limit: String(RECORD_PAGE_SIZE),
      sort: 'id asc',
      withTotal: 'false',
      ...(predicates.length ? { where: predicates.join(' and ') } : {}),
    });
    const response = await fetch(
      `${sandboxEnv.CT_API_URL}/${sandboxEnv.CT_PROJECT_ID}/${resource}?${params.toString()}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    if (!response.ok) throw new Error(`GET /${resource} answered ${response.status}: ${await response.text()}`);
    const { results } = (await response.json()) as { results: T[] };
    yield results;
    if (results.length < RECORD_PAGE_SIZE) return;
    lastId = results[results.length - 1].id;
  }
}

/** Every record of a commercetools resource (those matching `where`, if given). */
export async function readAllRecords<T extends { id: string }>(
  sandboxEnv: Record<string, string>,
  token: string,
  resource: string,
  where?: string,
): Promise<T[]> {
  const records: T[] = [];
  for await (const page of recordPages<T>(sandboxEnv, token, resource, where)) records.push(...page);
  return records;
}

// ---------------------------------------------------------------------------------------------

/** An HTTP exchange with JSON both ways; the answer's body is typed as the caller expects it. */
export async function requestJson<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
  requireOk = false,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (requireOk && !response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
