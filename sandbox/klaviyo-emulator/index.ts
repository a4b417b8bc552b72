import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobRunner, serializeJob } from './bulk-jobs';
import { catalogKinds, serializeCatalogRecord } from './catalog';
import type { RequestContext, Resource } from './context';
import { ApiError, invalid, type JsonApiError } from './errors';
import { inspectEvent, serializeMetric } from './events';
import {
  type FaultConfig,
  FaultConfigError,
  FaultInjector,
  type FaultOptions,
  noFaults,
  parseFaultOptions,
} from './faults';
import { parseFilter } from './filter';
import { serializeProfile } from './profiles';
import { RateLimiter, type RateLimitDecision } from './rate-limiter';
import { buildRoutes, matchRoute, type Route } from './routes';
import { loadSpec } from './spec';
import { findSpecPath, specCandidates } from './spec-location';
import { EmulatorState } from './state';
import { RequestValidator } from './validator';
import type { RequestDocument } from './wire';

export type { FaultOptions } from './faults';

export interface KlaviyoEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Defaults to the first of `specCandidates()` that exists (KLAVIYO_OPENAPI_SPEC first). */
  specPath?: string;
  /** When set, any other key is answered 401. */
  apiKey?: string;
  /** 1 = Klaviyo's limits (default), 10 = ten times as many requests allowed, 0 = off. */
  rateLimitSpeed?: number;
  faults?: FaultOptions;
  /** Time a bulk job takes from queued to complete (default 100 ms). */
  jobProcessingMs?: number;
  /** Seed of the fault dice, for reproducible fault patterns. */
  randomSeed?: number;
  /** Bulk records (profiles, events, catalog records) whose JSON contains one of these are refused with 400. */
  refuseRecords?: string[];
}

export interface EmulatorConfig {
  faults: FaultConfig;
  rateLimitSpeed: number;
  jobProcessingMs: number;
  refuseRecords: string[];
}

/** What `configure` and `POST /__emulator/config` change. */

export interface EmulatorStats {
  records: Record<'profiles' | 'events' | 'metrics' | 'catalogItems' | 'catalogVariants' | 'catalogCategories', number>;
  requests: { total: number; byOperation: Record<string, number> };
  rejected: number;
  rateLimited: number;
  faultsInjected: number;
}

export interface RejectedRequest {
  method: string;
  path: string;
  operationId: string | null;
  status: number;
  errors: JsonApiError[];
}

export interface KlaviyoEmulator {
  url: string;
  port: number;
  /** False when the spec file was not found: requests are then routed but not validated. */
  validating: boolean;
  state: EmulatorState;
  stats(): EmulatorStats;
  rejected(): RejectedRequest[];
  /** Throws FaultConfigError for fault options it does not know or accept. */
  configure(change: ConfigChange): EmulatorConfig;
  reset(): void;
  close(): Promise<void>;
}

export interface ConfigChange {
  faults?: FaultOptions;
  rateLimitSpeed?: number;
  jobProcessingMs?: number;
  /** Reseeds the fault dice, so that a fault pattern can be reproduced mid-run. */
  randomSeed?: number;
  /** Bulk records whose JSON contains one of these strings are refused with a pointer to each. */
  refuseRecords?: string[];
}

const DEFAULT_MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;
const MAX_REJECTED_KEPT = 1000;
const REVISION = /^\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?$/;
const JSON_API = 'application/vnd.api+json';

export async function startKlaviyoEmulator(options: KlaviyoEmulatorOptions = {}): Promise<KlaviyoEmulator> {
  const specPath = options.specPath ?? findSpecPath();
  const spec = loadSpec(specPath);
  if (!spec) {
    const looked = options.specPath ? [specPath] : specCandidates();
    process.stderr.write(
      `klaviyo-emulator: no OpenAPI spec at ${looked.join(' or ')} (KLAVIYO_OPENAPI_SPEC names another); request validation and rate limits are off.\n`,
    );
  }
  const validator = spec && new RequestValidator(spec);
  const routes = buildRoutes(spec);
  const state = new EmulatorState();
  const config: EmulatorConfig = {
    faults: { ...noFaults, ...parseFaultOptions(options.faults) },
    rateLimitSpeed: options.rateLimitSpeed ?? 1,
    jobProcessingMs: options.jobProcessingMs ?? 100,
    refuseRecords: options.refuseRecords ?? [],
  };
  const jobs = new JobRunner(state, config.jobProcessingMs);
  const rateLimiter = new RateLimiter(config.rateLimitSpeed);
  let counters = emptyCounters();
  const faults = new FaultInjector(config.faults, options.randomSeed ?? Date.now(), () => counters.faultsInjected++);
  let rejected: RejectedRequest[] = [];

  const stats = (): EmulatorStats => ({
    records: {
      profiles: state.profiles.size,
      events: state.events.length,
      metrics: state.metrics.size,
      catalogItems: state.catalogItems.size,
      catalogVariants: state.catalogVariants.size,
      catalogCategories: state.catalogCategories.size,
    },
    requests: { total: counters.total, byOperation: { ...counters.byOperation } },
    rejected: counters.rejected,
    rateLimited: counters.rateLimited,
    faultsInjected: counters.faultsInjected,
  });

  const configure = (change: ConfigChange): EmulatorConfig => {
    Object.assign(config.faults, parseFaultOptions(change.faults));
    faults.reconsider();
    if (change.randomSeed !== undefined) faults.reseed(change.randomSeed);
    if (change.rateLimitSpeed !== undefined) config.rateLimitSpeed = rateLimiter.speed = change.rateLimitSpeed;
    if (change.jobProcessingMs !== undefined) config.jobProcessingMs = jobs.processingMs = change.jobProcessingMs;
    if (Array.isArray(change.refuseRecords)) config.refuseRecords = change.refuseRecords.map(String);
    return structuredClone(config);
  };

  const reset = () => {
    jobs.cancelAll();
    state.clear();
    rateLimiter.reset();
    counters = emptyCounters();
    rejected = [];
  };

  const recordsOfKind = (kind: string, baseUrl: string): unknown[] | undefined => {
    switch (kind) {
      case 'profiles':
        return [...state.profiles.values()].map((profile) => serializeProfile(profile, baseUrl));
      case 'events':
        return state.events.map((event) => inspectEvent(state, event, baseUrl));
      case 'metrics':
        return [...state.metrics.values()].map((metric) => serializeMetric(metric, baseUrl));
      case 'catalog-items':
      case 'catalog-variants':
      case 'catalog-categories': {
        const kindOfCatalog = catalogKinds[kind.replace('catalog-', '') as keyof typeof catalogKinds];
        return [...kindOfCatalog.records(state).values()].map((record) =>
          serializeCatalogRecord(kindOfCatalog, state, record, baseUrl),
        );
      }
      case 'jobs':
        return [...state.jobs.values()].map((job) => serializeJob(job, baseUrl));
      default:
        return undefined;
    }
  };

  /** The read-only (but for reset and config) API tests use to look inside. */
  const inspect = async (request: IncomingMessage, response: ServerResponse, url: URL, baseUrl: string) => {
    const route = `${request.method} ${url.pathname.replace(/\/$/, '')}`;
    const records = /^GET \/__emulator\/records\/([a-z-]+)$/.exec(route);
    if (route === 'GET /__emulator/stats') return send(response, 200, stats());
    if (route === 'GET /__emulator/rejected') return send(response, 200, { data: rejected });
    if (route === 'POST /__emulator/reset') {
      await readBody(request, DEFAULT_MAX_PAYLOAD_BYTES);
      reset();
      return send(response, 200, stats());
    }
    if (route === 'POST /__emulator/config') {
      const change = parseJson((await readBody(request, DEFAULT_MAX_PAYLOAD_BYTES)).toString('utf8')) ?? {};
      try {
        return send(response, 200, configure(change));
      } catch (error) {
        if (!(error instanceof FaultConfigError)) throw error;
        return sendErrors(response, invalid(error.message, { pointer: '/faults' }));
      }
    }
    const data = records && recordsOfKind(records[1], baseUrl);
    if (data) return send(response, 200, { data });
    return sendErrors(
      response,
      new ApiError(404, 'not_found', 'Not found.', `No emulator inspection endpoint ${route}.`),
    );
  };

  /** Klaviyo's order: route, (faults), authentication, rate limit, payload size, validation, then the operation. */
  const serveApi = async (request: IncomingMessage, response: ServerResponse, url: URL, baseUrl: string) => {
    counters.total++;
    const matched = matchRoute(routes, request.method ?? 'GET', url.pathname);
    const reject = (error: ApiError, route?: Route) => {
      counters.rejected++;
      rejected.push({
        method: request.method ?? '',
        path: url.pathname,
        operationId: route?.operationId ?? null,
        status: error.status,
        errors: [error.error],
      });
      if (rejected.length > MAX_REJECTED_KEPT) rejected.shift();
      sendErrors(response, error);
    };
    if (!matched) {
      await readBody(request, DEFAULT_MAX_PAYLOAD_BYTES).catch(() => undefined);
      return reject(
        new ApiError(
          404,
          'not_found',
          'Not found.',
          `${request.method} ${url.pathname} is not an operation of the Klaviyo API.`,
        ),
      );
    }
    const { route, params } = matched;
    counters.byOperation[route.operationId] = (counters.byOperation[route.operationId] ?? 0) + 1;

    if (!(await faults.apply(route.operationId, request, response))) return;

    let rateLimit: RateLimitDecision | undefined;
    let body: unknown;
    let context: RequestContext;
    try {
      checkAuthorization(request, options.apiKey);
      rateLimit = rateLimiter.take(route.operationId, route.operation?.rateLimits ?? [], Date.now());
      if (rateLimit) setRateLimitHeaders(response, rateLimit);
      if (rateLimit && !rateLimit.allowed) {
        counters.rateLimited++;
        await readBody(request, DEFAULT_MAX_PAYLOAD_BYTES).catch(() => undefined);
        response.setHeader('Retry-After', String(rateLimit.resetSeconds));
        return sendErrors(
          response,
          new ApiError(
            429,
            'throttled',
            'Request was throttled.',
            `Request was throttled. Expected available in ${rateLimit.resetSeconds} seconds.`,
          ),
        );
      }
      checkRevision(request);
      body = await readJsonBody(request, route.operation?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
      const query = validator
        ? validator.validateQuery(route.operation!, url.searchParams)
        : typeQueryWithoutSpec(url.searchParams);
      const filter = typeof query.filter === 'string' ? parseFilter(query.filter, route.operation?.filterRules) : [];
      if (validator && route.operation?.bodySchemaPointer) validator.validateBody(route.operation, body);
      const recordCount = route.handler?.countRecords?.(body);
      const maxRecords = route.operation?.maxRecords;
      if (recordCount !== undefined && maxRecords !== undefined && recordCount > maxRecords) {
        throw invalid(`Accepts up to ${maxRecords} records per request; this request has ${recordCount}.`, {
          pointer: '/data/attributes',
        });
      }
      context = {
        params,
        query,
        filter,
        body: body as RequestDocument,
        url,
        baseUrl,
        state,
        jobs,
        operation: route.operation,
        refuseRecords: config.refuseRecords,
      };
    } catch (error) {
      if (error instanceof ApiError) return reject(error, route);
      throw error;
    }

    if (!route.handler) {
      return sendErrors(
        response,
        new ApiError(
          501,
          'not_implemented',
          'Not implemented.',
          `The emulator does not implement ${route.operationId}.`,
        ),
      );
    }
    try {
      const result = route.handler.handle(context);
      send(
        response,
        result.status,
        result.body === undefined ? undefined : withSparseFieldsets(result.body, context.query),
      );
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      // An invalid request is a rejection wherever it is found; 404/409 on records are answers.
      if (error.status === 400) reject(error, route);
      else sendErrors(response, error);
    }
  };

  const server = createServer((request, response) => {
    const baseUrl = `http://${request.headers.host ?? 'localhost'}`;
    const url = new URL(request.url ?? '/', baseUrl);
    const serve = url.pathname.startsWith('/__emulator/') ? inspect : serveApi;
    serve(request, response, url, baseUrl).catch((error: Error) => {
      // Only the message: errors must never echo request bodies (personal data).
      process.stderr.write(`klaviyo-emulator: ${request.method} ${url.pathname} failed: ${error.message}\n`);
      if (!response.headersSent)
        sendErrors(response, new ApiError(500, 'error', 'Internal error.', 'The emulator failed on this request.'));
    });
  });
  // Idle connections stay open a minute, as behind Klaviyo's load balancers. Node's 5 s default
  // races clients on a loaded machine: a client whose timers run late reuses a socket the server
  // has just closed, and its request fails with "other side closed".
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    validating: Boolean(validator),
    state,
    stats,
    rejected: () => [...rejected],
    configure,
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        jobs.cancelAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function emptyCounters() {
  return { total: 0, byOperation: {} as Record<string, number>, rejected: 0, rateLimited: 0, faultsInjected: 0 };
}

function checkAuthorization(request: IncomingMessage, apiKey: string | undefined): void {
  const match = /^Klaviyo-API-Key (\S+)$/.exec(request.headers.authorization ?? '');
  if (!match) {
    throw new ApiError(
      401,
      'not_authenticated',
      'Authentication credentials were not provided.',
      'Missing or invalid authorization scheme. Please use Klaviyo-API-Key.',
    );
  }
  if (apiKey !== undefined && match[1] !== apiKey) {
    throw new ApiError(
      401,
      'authentication_failed',
      'Incorrect authentication credentials.',
      'Incorrect authentication credentials.',
    );
  }
}

function checkRevision(request: IncomingMessage): void {
  const revision = request.headers.revision;
  if (typeof revision !== 'string' || !REVISION.test(revision)) {
    throw invalid('A revision header in the format YYYY-MM-DD[.suffix] is required.', { parameter: 'revision' });
  }
}

function setRateLimitHeaders(response: ServerResponse, decision: RateLimitDecision): void {
  response.setHeader('RateLimit-Limit', String(decision.limit));
  response.setHeader('RateLimit-Remaining', String(decision.remaining));
  response.setHeader('RateLimit-Reset', String(decision.resetSeconds));
}

/** Reads the whole body even past the limit, so the client sees the 413 instead of a broken pipe. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > maxBytes) {
        reject(
          new ApiError(
            413,
            'payload_too_large',
            'Request entity too large.',
            `The maximum allowed payload size is ${maxBytes} bytes.`,
          ),
        );
      } else resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const raw = await readBody(request, maxBytes);
  if (raw.length === 0) return undefined;
  const contentType = request.headers['content-type'] ?? '';
  if (!/^application\/(vnd\.api\+)?json\b/.test(contentType)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'Unsupported media type.',
      `Unsupported media type "${contentType}" in request.`,
    );
  }
  const body = parseJson(raw.toString('utf8'));
  if (body === undefined) throw invalid('JSON parse error.', { pointer: '/data' });
  return body;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Without the spec, the few parameters handlers read are typed by name. */
function typeQueryWithoutSpec(query: URLSearchParams): Record<string, unknown> {
  const typed: Record<string, unknown> = {};
  for (const [name, value] of query) {
    typed[name] =
      name === 'page[size]'
        ? Number(value)
        : name === 'include' || name.startsWith('fields[')
          ? value.split(',')
          : value;
  }
  return typed;
}

/** `fields[<type>]=a,b` keeps only those attributes of resources of that type. */
function withSparseFieldsets(body: unknown, query: Record<string, unknown>): unknown {
  const fieldsets = Object.entries(query).filter(([name]) => name.startsWith('fields['));
  if (fieldsets.length === 0) return body;
  const wanted = new Map(
    fieldsets.map(([name, fields]) => [name.slice('fields['.length, -1), new Set(fields as string[])]),
  );
  const trim = (resource: Resource) => {
    const fields = wanted.get(resource.type);
    if (!fields) return resource;
    return {
      ...resource,
      attributes: Object.fromEntries(Object.entries(resource.attributes).filter(([name]) => fields.has(name))),
    };
  };
  const document = body as { data?: Resource | Resource[]; included?: Resource[] };
  return {
    ...document,
    ...(document.data !== undefined
      ? { data: Array.isArray(document.data) ? document.data.map(trim) : trim(document.data) }
      : {}),
    ...(document.included ? { included: document.included.map(trim) } : {}),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { 'Content-Type': JSON_API }).end(JSON.stringify(body));
}

function sendErrors(response: ServerResponse, error: ApiError): void {
  send(response, error.status, { errors: [error.error] });
}
