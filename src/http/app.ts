import { once } from 'node:events';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/logger';
import { errorFields } from '../logging/error-fields';
import { PlatformError } from '../platform/platform-error';
import type { JobEngine } from '../engine/job-engine';
import { EngineRefusal, type RefusalReason } from '../engine/refusal';
import { importTypes, type ImportType } from '../engine/run-types';
import type { Readiness } from '../readiness';
import { requireApiKey } from './api-key';
import { encodeFailure, failureContentTypes, failuresPreamble, type FailureFormat } from './failure-encoding';
import { describePlatformError } from './platform-problem';
import { metricsRoute } from './metrics-route';
import { InvalidRequest, parseRunName, parseStart } from './request-schemas';
import { statusPage } from './status-page';

interface AppOptions {
  engine: Pick<
    JobEngine,
    'start' | 'stop' | 'status' | 'clearLock' | 'failures' | 'startDryRun' | 'stopDryRun' | 'dryRunStatus'
  >;
  /** Checks both platforms' credentials and scopes without changing anything (GET /readyz). */
  readiness: () => Promise<Readiness>;
  logger: Logger;
  /** When set, every /sync route, /readyz and /metrics need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Served as GET /metrics; `public` serves it without the API key. */
  metrics?: { registry: Registry; public: boolean };
}

const bodyLimit = '1mb';

/** The HTTP API and the status page: start, stop and watch imports; clear a stale lock; liveness, readiness and metrics. */
export function createApp({ engine, readiness, logger, apiKey, metrics }: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const authorized: RequestHandler[] = apiKey ? [requireApiKey(apiKey)] : [];

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  // Behind the key: each probe costs requests to both platforms.
  app.get('/readyz', ...authorized, async (_request, response) => {
    const { ready, checks } = await readiness();
    const results = checks.map(({ platform, check, ok, error }) =>
      ok ? { platform, check, ok } : { platform, check, ok, message: failureInWords(platform, check, error, logger) },
    );
    if (ready) {
      response.json({ status: 'ready', checks: results });
      return;
    }
    const messages = [...new Set(results.flatMap((result) => (result.message ? [result.message] : [])))];
    response.status(503).json({ error: 'not_ready', message: messages.join('; '), checks: results });
  });

  if (metrics) app.get('/metrics', ...(metrics.public ? [] : authorized), metricsRoute(metrics.registry));

  const sync = express.Router();
  sync.use(...authorized, ...jsonBodies());

  sync.get('/status', async (_request, response) => {
    const statuses = await Promise.all(importTypes.map((type) => engine.status(type)));
    response.json({ imports: statuses });
  });

  sync.post('/:type', async (request, response) => {
    const type = importTypeOf(request);
    const { run: runRequest, dryRun } = parseStart(type, request.body);
    if (dryRun) {
      const { runId } = await engine.startDryRun(type, runRequest);
      logger.info({ type, runId, mode: runRequest.mode }, 'Dry run accepted');
      response.status(202).json({ runId, type, mode: runRequest.mode, dryRun: true, status: `/sync/${type}/dry-run` });
      return;
    }
    const { runId } = await engine.start(type, runRequest);
    logger.info({ type, runId, mode: runRequest.mode }, 'Import accepted');
    response.status(202).json({ runId, type, mode: runRequest.mode, status: `/sync/${type}/status` });
  });

  sync.post('/:type/stop', (request, response) => {
    const type = importTypeOf(request);
    const { runId } = engine.stop(type);
    response.json({
      runId,
      type,
      message:
        'The import stops within seconds: reads in flight are aborted, writes get a moment to finish; Klaviyo finishes jobs already submitted.',
    });
  });

  sync.get('/:type/status', async (request, response) => {
    response.json(await engine.status(importTypeOf(request)));
  });

  sync.get('/:type/dry-run', (request, response) => {
    response.json(engine.dryRunStatus(importTypeOf(request)));
  });

  sync.post('/:type/dry-run/stop', (request, response) => {
    const type = importTypeOf(request);
    const { runId } = engine.stopDryRun(type);
    response.json({ runId, type, dryRun: true, message: 'The dry run stops within seconds.' });
  });

  // Streams the entries chunk after chunk as commercetools gives them: memory stays flat however many there are.
  sync.get('/:type/failures', async (request, response) => {
    const type = importTypeOf(request);
    const run = parseRunName(request.query.run);
    const format = failureFormatOf(request);
    const reading = new AbortController();
    response.on('close', () => reading.abort(new Error('the answer ended')));
    const { run: found, entries } = await engine.failures(type, run, reading.signal);
    response.status(200).type(failureContentTypes[format]);
    response.setHeader('X-Run-Id', found.runId);
    response.setHeader('X-Failures-Not-Stored', String(found.unstored));
    response.write(failuresPreamble(format));
    try {
      for await (const chunk of entries) {
        const text = chunk.map((entry) => encodeFailure(entry, format)).join('');
        if (!response.write(text)) await once(response, 'drain', { signal: reading.signal });
      }
      response.end();
    } catch (error) {
      if (reading.signal.aborted) return;
      // The status line is sent: breaking the connection is how the client learns the list is cut short.
      logger.warn({ type, runId: found.runId, ...errorFields(error) }, 'Listing failures broke off');
      response.destroy();
    }
  });

  sync.delete('/:type/lock', async (request, response) => {
    const type = importTypeOf(request);
    if (request.query.confirm !== type) {
      throw new InvalidRequest([
        { field: 'confirm', message: `must be "${type}" (DELETE /sync/${type}/lock?confirm=${type})` },
      ]);
    }
    const cleared = await engine.clearLock(type, { force: request.query.force === 'true' });
    response.json({ type, cleared });
  });

  app.use('/sync', sync);
  app.use(statusPage());
  app.use((_request, response) => {
    response.status(404).json({ error: 'not_found', message: 'Unknown route. See the README for the endpoints.' });
  });
  app.use(errorHandler(logger));
  return app;
}

class UnsupportedBody extends Error {}

/**
 * JSON bodies are parsed; a body of any other type is refused, so that `-d '{"ids":[…]}'` without
 * the JSON header cannot start a full import. An empty body, whatever its type, means "no options".
 * `application/*+json` is refused too: one accepted type is the clearest contract.
 */
function jsonBodies(): RequestHandler[] {
  const isJson = (request: Request) => Boolean(request.is('application/json'));
  return [
    express.json({ limit: bodyLimit, type: (request) => isJson(request as Request) }),
    express.raw({ limit: bodyLimit, type: (request) => !isJson(request as Request) }),
    (request, _response, next) => {
      if (!Buffer.isBuffer(request.body)) return next();
      if (request.body.length > 0) return next(new UnsupportedBody());
      request.body = undefined;
      next();
    },
  ];
}

class UnknownImportType extends Error {}

function importTypeOf(request: Request): ImportType {
  const type = String(request.params.type);
  if ((importTypes as readonly string[]).includes(type)) return type as ImportType;
  throw new UnknownImportType(`Unknown import type "${type}"; use one of ${importTypes.join(', ')}.`);
}

/** `?format=` when given, else what Accept prefers; JSON lines unless CSV is asked for. */
function failureFormatOf(request: Request): FailureFormat {
  const format = request.query.format;
  if (format === undefined)
    return request.accepts(['application/x-ndjson', 'text/csv']) === 'text/csv' ? 'csv' : 'jsonl';
  if (format === 'csv' || format === 'jsonl') return format;
  throw new InvalidRequest([{ field: 'format', message: 'must be "jsonl" or "csv"' }]);
}

function failureInWords(platform: string, check: string, error: unknown, logger: Logger): string {
  if (error instanceof PlatformError) return describePlatformError(error).message;
  logger.error({ platform, check, ...errorFields(error) }, 'Readiness check failed unexpectedly');
  return `the ${platform} ${check} check failed unexpectedly; see the service log`;
}

/** A lock in the way answers 423 (try again later); a run that is not there, 404; a request that cannot succeed as sent, 400. */
const refusalStatus: Record<RefusalReason, 400 | 404 | 423> = {
  'unknown-run': 404,
  'nothing-to-retry': 400,
  locked: 423,
  'running-here': 423,
  'not-running': 400,
  'nothing-to-resume': 400,
  'not-supported': 400,
  'no-completed-run': 400,
};

const refusalCodes = { 400: 'refused', 404: 'not_found', 423: 'locked' } as const;

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response: Response, _next) => {
    if (error instanceof InvalidRequest) {
      response.status(400).json({ error: 'invalid_body', message: error.message, problems: error.problems });
    } else if (error instanceof EngineRefusal) {
      const status = refusalStatus[error.reason];
      response.status(status).json({ error: refusalCodes[status], message: error.message, ...error.details });
    } else if (error instanceof UnknownImportType) {
      response.status(404).json({ error: 'not_found', message: error.message });
    } else if (error instanceof UnsupportedBody) {
      response.status(415).json({
        error: 'unsupported_media_type',
        message: 'Send the body as JSON with Content-Type: application/json, or send no body.',
      });
    } else if (error instanceof PlatformError) {
      const { status, error: code, message } = describePlatformError(error);
      logger.warn(
        { platform: error.platform, operation: error.operation, status: error.status, detail: error.detail },
        'Request failed: a platform call failed',
      );
      response.status(status).json({ error: code, platform: error.platform, message });
    } else if (isRequestError(error)) {
      const { status, message } = requestProblem(error);
      response.status(status).json({ error: 'invalid_body', message });
    } else {
      logger.error(errorFields(error), 'Request failed');
      response.status(500).json({ error: 'internal', message: 'The request failed; see the service log.' });
    }
  };
}

/** An error the body parser (or Express) raised about the request itself: 4xx, safe to explain. */
interface RequestError {
  status: number;
  type?: string;
}

function isRequestError(error: unknown): error is RequestError {
  const candidate = error as { status?: unknown; expose?: unknown };
  return (
    typeof candidate?.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500 &&
    candidate.expose === true
  );
}

function requestProblem(error: RequestError): { status: number; message: string } {
  switch (error.type) {
    case 'entity.too.large':
      return { status: 413, message: 'The body is larger than 1 MB.' };
    case 'encoding.unsupported':
      return {
        status: 415,
        message: 'This Content-Encoding is not supported: send the body as it is, or with gzip, deflate or br.',
      };
    case 'charset.unsupported':
      return { status: 415, message: 'This charset is not supported: send the body as UTF-8.' };
    case 'entity.parse.failed':
      return { status: 400, message: 'The body is not valid JSON.' };
    default:
      // A gzip or deflate body that does not decompress, or a body shorter than its Content-Length.
      return { status: 400, message: 'The body could not be read as its Content-Encoding and Content-Length say.' };
  }
}
