import '../runtime/apply-memory-policy';
import type { ClientResponse } from '@commercetools/ts-client';
import { CommercetoolsClient } from '../clients/commercetools/commercetools-client';
import { createEngine } from '../engine-composition';
import type { JobEngine } from '../engine/job-engine';
import { runInSequence } from '../engine/run-sequence';
import type { ImportType, RunRequest } from '../engine/run-types';
import { describeOutcome, describeSequenceEnd } from '../http/outcome-words';
import { createLogger, type Logger } from '../logging/logger';
import { shutdownDeadlineMs } from '../runtime/process-guards';
import { loadConfigOrExit } from '../runtime/startup-config';
import { parseCliArguments, usage, UsageError } from './cli-arguments';
import { plainDisplay, terminalDisplay } from './progress-display';

async function main(args: string[]): Promise<number> {
  let command;
  try {
    command = parseCliArguments(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage}\n`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const config = loadConfigOrExit();
  const terminal = process.stdout.isTTY === true;
  // Logs go to stderr, progress to stdout. On a terminal only errors are logged, so that log lines
  // do not tear the bars apart: the counts of failed records are on the bars and in the summary.
  const logger = createLogger(terminal ? 'error' : config.logLevel, process.stderr);
  const { engine } = createEngine(config, logger);
  const display = terminal
    ? terminalDisplay(process.stdout)
    : plainDisplay((line) => process.stdout.write(`${line}\n`));

  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) {
      process.stderr.write(`${signal} again: exiting without waiting for the checkpoint\n`);
      process.exit(130);
    }
    display.message(`${signal}: stopping the running import and saving its checkpoint (${signal} again exits at once)`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A bug that escaped every handler: the runs are stopped with their checkpoints saved, then exit 1.
  const onEscapedError = (error: unknown) => {
    process.stderr.write(`Unexpected error, stopping: ${error instanceof Error ? error.message : String(error)}\n`);
    void engine.shutdown(shutdownDeadlineMs).finally(() => process.exit(1));
  };
  process.on('uncaughtException', onEscapedError);
  process.on('unhandledRejection', onEscapedError);

  const types = await typesToRun(engine, command.types, command.requests);
  if (types.length === 0) {
    process.stdout.write('Nothing to resume: the last run of each import completed.\n');
    return 0;
  }
  const counting = new CommercetoolsClient(config.commercetools, logger);
  const sequence = await runInSequence(
    engine,
    types,
    async (type) => {
      const request = command.requests[type];
      display.starting(type, await recordsToRead(counting, type, request, logger, interrupted.signal));
      return request;
    },
    {
      signal: interrupted.signal,
      onStatus: (status) => display.update(status),
      onOutcome: (outcome) => display.message(describeOutcome(outcome)),
    },
  );
  display.close();
  await engine.shutdown(shutdownDeadlineMs);
  if (sequence.completed) {
    process.stdout.write(`Done: ${describeSequenceEnd(sequence)}\n`);
    return 0;
  }
  const hint = interrupted.signal.aborted ? ' Run the same command with --resume to continue.' : '';
  process.stderr.write(`Not completed: ${describeSequenceEnd(sequence)}.${hint}\n`);
  return 1;
}

/**
 * With --resume, the imports whose last run did not complete: with `all`, a stopped round goes on
 * where it stopped, and imports whose last run completed (or that never ran) are left out. Any
 * other state, such as a checkpoint that could not be read, is left to the engine to explain.
 */
async function typesToRun(
  engine: Pick<JobEngine, 'status'>,
  types: readonly ImportType[],
  requests: Record<ImportType, RunRequest>,
): Promise<readonly ImportType[]> {
  const toRun: ImportType[] = [];
  for (const type of types) {
    const nothingToResume =
      requests[type].mode === 'resume' && ['completed', 'idle'].includes((await engine.status(type)).state);
    if (!nothingToResume) toRun.push(type);
  }
  return toRun;
}

/**
 * The records a full run will read (the ids of an id list), for the ETA; undefined for the other
 * modes, and when commercetools does not tell in time: the import does not depend on it.
 */
async function recordsToRead(
  commercetools: CommercetoolsClient,
  type: ImportType,
  request: RunRequest,
  logger: Logger,
  signal: AbortSignal,
): Promise<number | undefined> {
  if (request.mode === 'ids') return request.ids.length;
  if (request.mode !== 'all') return undefined;
  const queryArgs = { limit: 1, withTotal: true };
  const countQuery: () => Promise<ClientResponse<{ total?: number }>> = {
    customers: () => commercetools.api.customers().get({ queryArgs }).execute(),
    orders: () => commercetools.api.orders().get({ queryArgs }).execute(),
    categories: () => commercetools.api.categories().get({ queryArgs }).execute(),
    products: () => commercetools.api.products().get({ queryArgs }).execute(),
  }[type];
  try {
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(10_000)]);
    const page = await commercetools.call(`count ${type}`, countQuery, deadline);
    return page.total;
  } catch (error) {
    logger.warn(
      { type, reason: error instanceof Error ? error.message : String(error) },
      'Could not count the records',
    );
    return undefined;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`The import failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
