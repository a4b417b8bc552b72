/**
 * Runs the sandbox (`tsx sandbox/cli.ts`) as a child process for jest tests: the commercetools
 * mock underneath is ESM-only, which jest's CommonJS runtime cannot load, so tests reach it over
 * HTTP. Always `await sandbox.stop()` in afterAll; the child also stops by itself when this test
 * process dies (it watches its stdin).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface SandboxOptions {
  /** Generated data; each size defaults to 0, so a test starts from an empty project. */
  seed?: number | string;
  customers?: number;
  orders?: number;
  categories?: number;
  products?: number;
  rateLimitSpeed?: number;
  /** Start only the commercetools sandbox. */
  withoutKlaviyo?: boolean;
  /** Serve the commercetools mock without corrections (to show its deviations). */
  rawMock?: boolean;
  /** How long to wait for the sandbox to be ready (seeding included); default 60 s. */
  startTimeoutMs?: number;
}

export interface RunningSandbox {
  /** The KEY=VALUE lines the sandbox printed: CT_API_URL, CT_AUTH_URL, CT_PROJECT_ID, CT_API_CLIENT, KLAVIYO_*. */
  env: Record<string, string>;
  ctApiUrl: string;
  /** Undefined with `withoutKlaviyo`. */
  klaviyoUrl: string | undefined;
  projectKey: string;
  credentials: { clientId: string; secret: string };
  stop(): Promise<void>;
}

export type SeedCounts = Record<'types' | 'customerGroups' | 'channels' | 'states' | 'productTypes' | 'categories' | 'products' | 'customers' | 'orders', number>;
export interface SandboxRequestStats {
  requests: { total: number; oauth: number; byResource: Record<string, number> };
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const STOP_GRACE_MS = 5000;

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const args = [
    require.resolve('tsx/cli'),
    path.join(PROJECT_ROOT, 'sandbox', 'cli.ts'),
    '--ct-port', '0',
    '--klaviyo-port', '0',
    '--exit-on-stdin-close',
    '--seed', String(options.seed ?? 1),
    '--customers', String(options.customers ?? 0),
    '--orders', String(options.orders ?? 0),
    '--categories', String(options.categories ?? 0),
    '--products', String(options.products ?? 0),
  ];
  if (options.rateLimitSpeed !== undefined) args.push('--rate-limit-speed', String(options.rateLimitSpeed));
  if (options.withoutKlaviyo) args.push('--without-klaviyo');
  if (options.rawMock) args.push('--raw-mock');

  // process.execPath: the Node that runs jest (24, from the `node` devDependency), also for the child.
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const requiredKeys = ['CT_API_URL', 'CT_AUTH_URL', 'CT_PROJECT_ID', 'CT_API_CLIENT'];
  if (!options.withoutKlaviyo) requiredKeys.push('KLAVIYO_AUTH_KEY', 'KLAVIYO_API_URL');
  let env: Record<string, string>;
  try {
    env = await readEnv(child, requiredKeys, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stopChild(child);
    process.removeListener('exit', killOnExit);
    throw error;
  }
  return {
    env,
    ctApiUrl: env.CT_API_URL,
    klaviyoUrl: env.KLAVIYO_API_URL,
    projectKey: env.CT_PROJECT_ID,
    credentials: JSON.parse(env.CT_API_CLIENT) as { clientId: string; secret: string },
    stop: async () => {
      await stopChild(child);
      process.removeListener('exit', killOnExit);
    },
  };
}

/** Replaces the commercetools project's data with generated data (POST /__sandbox/seed). */
export async function seed(
  sandbox: RunningSandbox,
  sizes: { seed?: number | string; categories?: number; products?: number; customers?: number; orders?: number },
): Promise<{ loaded: SeedCounts; durationMs: number }> {
  return control(sandbox, 'POST', '/__sandbox/seed', sizes);
}

/** Empties the commercetools project (POST /__sandbox/reset). */
export async function resetCommercetools(sandbox: RunningSandbox): Promise<void> {
  await control(sandbox, 'POST', '/__sandbox/reset');
}

/** Requests the commercetools sandbox has answered, by resource (GET /__sandbox/stats). */
export async function commercetoolsStats(sandbox: RunningSandbox): Promise<SandboxRequestStats> {
  return control(sandbox, 'GET', '/__sandbox/stats');
}

export async function resetCommercetoolsStats(sandbox: RunningSandbox): Promise<void> {
  await control(sandbox, 'POST', '/__sandbox/stats/reset');
}

export interface CommercetoolsResponse<T = unknown> {
  status: number;
  body: T;
}

const tokens = new WeakMap<RunningSandbox, Promise<string>>();

/**
 * A request to the commercetools API of the sandbox as a client would send it: with a bearer
 * token from the OAuth endpoint (fetched once per sandbox). `pathInProject` is the part after
 * the project key, e.g. `/customers?limit=10` or `/custom-objects`.
 */
export async function commercetoolsRequest<T = unknown>(
  sandbox: RunningSandbox,
  method: string,
  pathInProject: string,
  body?: unknown,
): Promise<CommercetoolsResponse<T>> {
  let token = tokens.get(sandbox);
  if (!token) {
    token = fetchToken(sandbox);
    tokens.set(sandbox, token);
  }
  const response = await fetch(`${sandbox.ctApiUrl}/${sandbox.projectKey}${pathInProject}`, {
    method,
    headers: { authorization: `Bearer ${await token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function fetchToken(sandbox: RunningSandbox): Promise<string> {
  const { clientId, secret } = sandbox.credentials;
  const response = await fetch(`${sandbox.env.CT_AUTH_URL}/oauth/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  if (!response.ok) throw new Error(`token request: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function control<T>(sandbox: RunningSandbox, method: string, pathname: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sandbox.ctApiUrl}${pathname}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function readEnv(child: ChildProcess, requiredKeys: string[], timeoutMs: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    let stdout = '';
    let stderr = '';
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`sandbox did not start: ${reason}\n--- sandbox stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = stdout.split('\n');
      stdout = lines.pop() ?? '';
      for (const line of lines) {
        const separator = line.indexOf('=');
        if (separator > 0) env[line.slice(0, separator)] = line.slice(separator + 1);
      }
      if (requiredKeys.every((key) => key in env)) {
        clearTimeout(timer);
        resolve(env);
      }
    });
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (error) => fail(error.message));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Every record of a commercetools resource, read as a client would (keyset paging by id). */
export async function readAllRecords<T extends { id: string }>(sandbox: RunningSandbox, resource: string): Promise<T[]> {
  const records: T[] = [];
  let where = '';
  for (;;) {
    const { status, body } = await commercetoolsRequest<{ results: T[] }>(
      sandbox,
      'GET',
      `/${resource}?limit=500&sort=${encodeURIComponent('id asc')}&withTotal=false${where}`,
    );
    if (status !== 200) throw new Error(`GET /${resource}: ${status} ${JSON.stringify(body)}`);
    records.push(...body.results);
    if (body.results.length < 500) return records;
    where = `&where=${encodeURIComponent(`id > "${body.results[body.results.length - 1].id}"`)}`;
  }
}
