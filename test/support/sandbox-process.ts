/**
 * Runs the sandbox (`sandbox/cli.ts`) as a child process for jest tests, through the driver that
 * `npm run demo` and `npm run bench` use (sandbox/service-driver.ts): the commercetools mock
 * underneath is ESM-only, which jest's CommonJS runtime cannot load, so tests reach it over
 * HTTP. Always `await sandbox.stop()` in afterAll; the child also stops by itself when this test
 * process dies (it watches its stdin).
 */
import {
  type CommercetoolsSandboxStats,
  commercetoolsStats as readCommercetoolsStats,
  fetchToken,
  readAllRecords as readAllRecordsWithToken,
  startSandbox as startSandboxProcess,
} from '../../sandbox/service-driver';
import type { CommercetoolsFaultOptions, FaultState } from '../../sandbox/commercetools/faults';
import type { SeedResult } from '../../sandbox/commercetools/server';

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

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const sandbox = await startSandboxProcess({
    sizes: {
      customers: options.customers ?? 0,
      orders: options.orders ?? 0,
      categories: options.categories ?? 0,
      products: options.products ?? 0,
    },
    seed: String(options.seed ?? 1),
    rateLimitSpeed: options.rateLimitSpeed,
    withoutKlaviyo: options.withoutKlaviyo,
    rawMock: options.rawMock,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
  });
  const { env } = sandbox;
  return {
    env,
    ctApiUrl: env.CT_API_URL,
    klaviyoUrl: env.KLAVIYO_API_URL,
    projectKey: env.CT_PROJECT_ID,
    credentials: JSON.parse(env.CT_API_CLIENT) as { clientId: string; secret: string },
    stop: () => sandbox.child.stop(),
  };
}

/** Replaces the commercetools project's data with generated data (POST /__sandbox/seed). */
export async function seed(
  sandbox: RunningSandbox,
  sizes: { seed?: number | string; categories?: number; products?: number; customers?: number; orders?: number },
): Promise<SeedResult> {
  return control(sandbox, 'POST', '/__sandbox/seed', sizes);
}

/** Empties the commercetools project (POST /__sandbox/reset). */
export async function resetCommercetools(sandbox: RunningSandbox): Promise<void> {
  await control(sandbox, 'POST', '/__sandbox/reset');
}

/** Requests the commercetools sandbox has answered, by resource (GET /__sandbox/stats). */
export async function commercetoolsStats(sandbox: RunningSandbox): Promise<CommercetoolsSandboxStats> {
  return readCommercetoolsStats(sandbox.ctApiUrl);
}

export async function resetCommercetoolsStats(sandbox: RunningSandbox): Promise<void> {
  await control(sandbox, 'POST', '/__sandbox/stats/reset');
}

/**
 * Changes the commercetools sandbox's faults (POST /__sandbox/faults): `errorRate` with
 * `errorStatuses`, `hangRate`, `writeLatencyMs`; fields not given keep their values.
 */
export async function setCommercetoolsFaults(
  sandbox: RunningSandbox,
  faults: Omit<CommercetoolsFaultOptions, 'outageMs'>,
): Promise<FaultState> {
  return control(sandbox, 'POST', '/__sandbox/faults', faults);
}

/** Lifts every commercetools fault (an outage under way runs its course). */
export async function clearCommercetoolsFaults(sandbox: RunningSandbox): Promise<FaultState> {
  return setCommercetoolsFaults(sandbox, { errorRate: 0, errorStatuses: [503], hangRate: 0, writeLatencyMs: 0 });
}

/** Faults configured, faults injected so far, and the end of an outage under way. */
export async function commercetoolsFaults(sandbox: RunningSandbox): Promise<FaultState> {
  return control(sandbox, 'GET', '/__sandbox/faults');
}

/**
 * Takes commercetools down for `outageMs`: resolves once its port refuses connections, with the
 * time the outage was asked for (just before it began) and when the sandbox will listen again.
 */
export async function startCommercetoolsOutage(
  sandbox: RunningSandbox,
  outageMs: number,
): Promise<{ beganAt: number; until: Date }> {
  const beganAt = Date.now();
  const { outageUntil } = await control<FaultState>(sandbox, 'POST', '/__sandbox/faults', { outageMs });
  await pollCommercetools(sandbox, false, outageMs);
  return { beganAt, until: new Date(outageUntil!) };
}

/** Resolves once the commercetools sandbox accepts connections again after an outage. */
export async function waitForCommercetools(sandbox: RunningSandbox, timeoutMs = 120_000): Promise<void> {
  await pollCommercetools(sandbox, true, timeoutMs);
}

async function pollCommercetools(sandbox: RunningSandbox, reachable: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = await fetch(`${sandbox.ctApiUrl}/__sandbox/faults`).then(
      () => true,
      () => false,
    );
    if (answers === reachable) return;
    if (Date.now() > deadline)
      throw new Error(`commercetools sandbox still ${reachable ? 'down' : 'up'} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
  const response = await fetch(`${sandbox.ctApiUrl}/${sandbox.projectKey}${pathInProject}`, {
    method,
    headers: {
      authorization: `Bearer ${await tokenFor(sandbox)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** The sandbox's bearer token, fetched once per sandbox. */
function tokenFor(sandbox: RunningSandbox): Promise<string> {
  let token = tokens.get(sandbox);
  if (!token) {
    token = fetchToken(sandbox.env);
    tokens.set(sandbox, token);
  }
  return token;
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

/** Every record of a commercetools resource, read as a client would (keyset paging by id). */
export async function readAllRecords<T extends { id: string }>(
  sandbox: RunningSandbox,
  resource: string,
): Promise<T[]> {
  return readAllRecordsWithToken<T>(sandbox.env, await tokenFor(sandbox), resource);
}
