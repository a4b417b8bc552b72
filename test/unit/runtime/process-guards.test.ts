import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logging/logger';
import { guardProcess } from '../../../src/runtime/process-guards';
import { anyOf, stringContaining } from '../../support/matchers';

function guarded(close: (deadlineMs: number) => Promise<void>) {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        callback();
      },
    }),
  );
  const process = Object.assign(emitter, { exit: (code: number) => void exits.push(code) });
  guardProcess({ process, logger, close, deadlineMs: 50 });
  return { process, exits, logLines };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('guardProcess', () => {
  it('closes the service once on SIGTERM, however often the signal comes, and exits 0', async () => {
    const close = jest.fn(async () => undefined);
    const { process, exits, logLines } = guarded(close);
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    await until(() => exits.length > 0);
    expect(close).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledWith(50);
    expect(exits[0]).toBe(0);
    expect(logLines[0]).toMatchObject({ signal: 'SIGTERM', message: stringContaining('Shutting down') });
  });

  it.each(['unhandledRejection', 'uncaughtException'])(
    'on %s logs the error without its message, closes the service and exits 1',
    async (event) => {
      const close = jest.fn(async () => undefined);
      const { process, exits, logLines } = guarded(close);
      const failure = new SyntaxError('Unexpected token in "someone@example.com"');
      process.emit(event, failure);
      await until(() => exits.length > 0);
      expect(close).toHaveBeenCalledTimes(1);
      expect(exits[0]).toBe(1);
      expect(logLines[0]).toMatchObject({ severity: 'CRITICAL', error: 'SyntaxError', frames: anyOf(Array) });
      expect(JSON.stringify(logLines)).not.toContain('someone@example.com');
    },
  );

  it('exits 1 when a bug surfaces while a signal is already closing the service', async () => {
    let finishClose!: () => void;
    const { process, exits } = guarded(() => new Promise<void>((resolve) => (finishClose = resolve)));
    process.emit('SIGTERM');
    process.emit('unhandledRejection', new TypeError('x is undefined'));
    finishClose();
    await until(() => exits.length > 0);
    expect(exits[0]).toBe(1);
  });

  it('exits 1 when the close does not finish within its deadline', async () => {
    const { process, exits } = guarded(() => new Promise<void>(() => undefined));
    process.emit('SIGTERM');
    await until(() => exits.length > 0);
    expect(exits).toEqual([1]);
  });
});
