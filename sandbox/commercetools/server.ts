/**
 * The commercetools sandbox: @labdigital/commercetools-mock served over HTTP with OAuth on, its
 * deviations corrected (./corrections.ts), seeded from ./generator.ts, plus a control API under
 * /__sandbox/. The real SDK client talks to it as to commercetools: token from
 * `<url>/oauth/token` (client credentials), API under `<url>/<projectKey>/...`.
 *
 * The mock is ESM-only, so this runs under tsx in its own process (see ../cli.ts); jest tests
 * reach it over HTTP.
 */
import { CommercetoolsMock } from '@labdigital/commercetools-mock';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { CorrectedStorage, installCorrections } from './corrections';
import { CommercetoolsFaults, commercetoolsFaultsSchema } from './faults';
import { type CommercetoolsDataset, type GeneratorOptions, generateDataset } from './generator';
import { type ResourceType, SandboxStorage } from './storage';

export interface CommercetoolsSandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  projectKey?: string;
  clientId?: string;
  clientSecret?: string;
  /** false serves the raw mock, to check whether a newer mock still needs the corrections. */
  corrections?: boolean;
  /** Where messages for a human go (outages starting and ending); default stderr. */
  log?: (message: string) => void;
}

export interface CommercetoolsSandbox {
  /** Both the API and the auth URL. */
  url: string;
  port: number;
  projectKey: string;
  credentials: { clientId: string; secret: string };
  /** Replaces the project's data with a generated data set. */
  seed(options: GeneratorOptions): Promise<SeedResult>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export type SeedResult = { loaded: Record<keyof CommercetoolsDataset, number>; durationMs: number };

export interface RequestStats {
  /** API requests, that is everything but OAuth and the control API. */
  total: number;
  /** Token requests. */
  oauth: number;
  /** API requests by the path segment after the project key: customers, orders, custom-objects … */
  byResource: Record<string, number>;
}

/** The storage type of each data set part, in load order (referenced resources first). */
const LOAD_ORDER: Array<[keyof CommercetoolsDataset, ResourceType]> = [
  ['types', 'type'],
  ['customerGroups', 'customer-group'],
  ['channels', 'channel'],
  ['states', 'state'],
  ['productTypes', 'product-type'],
  ['categories', 'category'],
  ['products', 'product'],
  ['customers', 'customer'],
  ['payments', 'payment'],
  ['orders', 'order'],
];

const recordCount = z.number().int().min(0).max(1_000_000);
const seedRequestSchema = z.object({
  seed: z.union([z.number(), z.string()]).default(1),
  categories: recordCount.default(0),
  products: recordCount.default(0),
  customers: recordCount.default(0),
  orders: recordCount.default(0),
});

export async function startCommercetoolsSandbox(
  options: CommercetoolsSandboxOptions = {},
): Promise<CommercetoolsSandbox> {
  const projectKey = options.projectKey ?? 'sandbox-project';
  const credentials = {
    clientId: options.clientId ?? 'sandbox-client',
    secret: options.clientSecret ?? 'sandbox-secret',
  };
  const corrected = options.corrections ?? true;
  const storage = corrected ? new CorrectedStorage() : new SandboxStorage();
  const mock = new CommercetoolsMock({
    enableAuthentication: true,
    validateCredentials: true,
    defaultProjectKey: projectKey,
    storage,
    silent: true,
  });
  if (storage instanceof CorrectedStorage) installCorrections(mock, storage);

  const stats: RequestStats = { total: 0, oauth: 0, byResource: {} };
  const faults = new CommercetoolsFaults(
    mock.app.server,
    options.log ?? ((message) => process.stderr.write(`[commercetools sandbox] ${message}\n`)),
  );
  mock.app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/__sandbox/')) return;
    if (path.startsWith('/oauth/')) {
      stats.oauth += 1;
      // The mock hands a token to any client; commercetools checks the credentials, and so do we,
      // so that a service sending the wrong CT_API_CLIENT fails here as it would in production.
      if (path === '/oauth/token' && !hasSandboxCredentials(request.headers.authorization, credentials)) {
        const message = 'Please provide valid client credentials using HTTP Basic Authentication.';
        return reply.status(401).send({
          statusCode: 401,
          message,
          errors: [{ code: 'invalid_client', message }],
          error: 'invalid_client',
          error_description: message,
        });
      }
      return;
    }
    const resource = path.split('/')[2] || 'project';
    stats.total += 1;
    stats.byResource[resource] = (stats.byResource[resource] ?? 0) + 1;
    if (!(await faults.apply(request.method, resource, reply))) return reply;
  });

  const seed = async (generatorOptions: GeneratorOptions): Promise<SeedResult> => {
    const started = performance.now();
    await storage.clear();
    const dataset = generateDataset(generatorOptions);
    const loaded = {} as SeedResult['loaded'];
    for (const [part, typeId] of LOAD_ORDER) {
      await storage.load(projectKey, typeId, dataset[part]);
      loaded[part] = dataset[part].length;
    }
    return { loaded, durationMs: Math.round(performance.now() - started) };
  };
  const reset = () => storage.clear();

  mock.app.post('/__sandbox/seed', async (request, reply) => {
    const parsed = seedRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.status(400).send({ message: z.prettifyError(parsed.error) });
    return reply.send(await seed(parsed.data));
  });
  mock.app.post('/__sandbox/reset', async (_request, reply) => {
    await reset();
    return reply.send({ reset: true });
  });
  mock.app.get('/__sandbox/faults', async (_request, reply) => reply.send(faults.state()));
  mock.app.post('/__sandbox/faults', async (request, reply) => {
    const parsed = commercetoolsFaultsSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.status(400).send({ message: `faults: ${z.prettifyError(parsed.error)}` });
    const answered = new Promise<void>((resolve) => reply.raw.once('finish', () => resolve()));
    return reply.send(faults.configure(parsed.data, answered));
  });
  mock.app.get('/__sandbox/stats', async (_request, reply) => reply.send({ requests: stats }));
  mock.app.post('/__sandbox/stats/reset', async (_request, reply) => {
    Object.assign(stats, { total: 0, oauth: 0, byResource: {} });
    return reply.send({ requests: stats });
  });

  await mock.app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const { address, port } = mock.app.server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    projectKey,
    credentials,
    seed,
    reset,
    close: async () => {
      faults.close();
      // During an outage the port is closed already.
      if (mock.app.server.listening) await mock.app.close();
    },
  };
}

function hasSandboxCredentials(
  authorization: string | undefined,
  expected: { clientId: string; secret: string },
): boolean {
  const encoded = /^Basic\s+(.+)$/i.exec(authorization ?? '')?.[1];
  if (!encoded) return false;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return decoded.slice(0, separator) === expected.clientId && decoded.slice(separator + 1) === expected.secret;
}
