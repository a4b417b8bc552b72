import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Logger } from '../logging/logger';
import { EngineRefusal, type JobEngine } from '../engine/job-engine';
import { importTypes, type ImportType } from '../engine/run-types';
import { requireApiKey } from './api-key';
import { BodyError, parseStartRequest } from './request-schemas';

interface AppOptions {
  engine: JobEngine;
  logger: Logger;
  /** When set, every /sync route needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

/** The HTTP API: start, stop and watch imports; clear a stale lock. */
export function createApp({ engine, logger, apiKey }: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  const sync = express.Router();
  if (apiKey) sync.use(requireApiKey(apiKey));

  sync.get('/status', async (_request, response) => {
    const statuses = await Promise.all(importTypes.map((type) => engine.status(type)));
    response.json({ imports: statuses });
  });

  sync.post('/:type', async (request, response) => {
    const type = importTypeOf(request);
    const runRequest = parseStartRequest(type, request.body);
    const { runId } = await engine.start(type, runRequest);
    logger.info({ type, runId, mode: runRequest.mode }, 'Import accepted');
    response.status(202).json({ runId, type, mode: runRequest.mode, status: `/sync/${type}/status` });
  });

  sync.post('/:type/stop', (request, response) => {
    const type = importTypeOf(request);
    const { runId } = engine.stop(type);
    response.json({ runId, type, message: 'The import stops after the requests in flight; Klaviyo finishes jobs already submitted.' });
  });

  sync.get('/:type/status', async (request, response) => {
    response.json(await engine.status(importTypeOf(request)));
  });

  sync.delete('/:type/lock', async (request, response) => {
    const type = importTypeOf(request);
    if (request.query.confirm !== type) {
      throw new BodyError([{ field: 'confirm', message: `must be "${type}" (DELETE /sync/${type}/lock?confirm=${type})` }]);
    }
    const cleared = await engine.clearLock(type, { force: request.query.force === 'true' });
    response.json({ type, cleared });
  });

  app.use('/sync', sync);
  app.use((_request, response) => {
    response.status(404).json({ error: 'not_found', message: 'Unknown route. See the README for the endpoints.' });
  });
  app.use(errorHandler(logger));
  return app;
}

class UnknownImportType extends Error {}

function importTypeOf(request: Request): ImportType {
  const type = String(request.params.type);
  if ((importTypes as readonly string[]).includes(type)) return type as ImportType;
  throw new UnknownImportType(`Unknown import type "${type}"; use one of ${importTypes.join(', ')}.`);
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response: Response, _next) => {
    if (error instanceof BodyError) {
      response.status(400).json({ error: 'invalid_body', message: error.message, problems: error.problems });
    } else if (error instanceof EngineRefusal) {
      response.status(error.status).json({ error: error.status === 423 ? 'locked' : 'refused', message: error.message, ...error.details });
    } else if (error instanceof UnknownImportType) {
      response.status(404).json({ error: 'not_found', message: error.message });
    } else if (isBodyParserError(error)) {
      response.status(error.status).json({ error: 'invalid_body', message: error.status === 413 ? 'The body is too large.' : 'The body is not valid JSON.' });
    } else {
      logger.error({ reason: (error as Error)?.message }, 'Request failed');
      response.status(500).json({ error: 'internal', message: 'The request failed; see the service log.' });
    }
  };
}

function isBodyParserError(error: unknown): error is { status: number } {
  const candidate = error as { type?: string; status?: number };
  return typeof candidate?.status === 'number' && typeof candidate.type === 'string';
}
