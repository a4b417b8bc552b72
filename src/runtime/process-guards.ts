import type { Logger } from '../logging/logger';
import { errorFields } from '../logging/error-fields';

/**
 * How long the imports get to stop, save their checkpoints and release their locks when the
 * process ends: container platforms give 10 s between SIGTERM and SIGKILL, and this leaves room
 * to close the server after them.
 */
export const shutdownDeadlineMs = 8_000;

/** The part of `process` the guards use, so tests can hand in their own. */
export interface GuardedProcess {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (reason: unknown) => void): unknown;
  exit(code: number): void;
}

export interface ProcessGuardOptions {
  process: GuardedProcess;
  logger: Logger;
  /** Stops the imports (checkpoints saved, locks released) and the server within the deadline. */
  close: (deadlineMs: number) => Promise<void>;
  deadlineMs: number;
}

/**
 * What the process does when asked to stop or when something escaped every handler. A signal
 * closes the service and exits 0. An unhandled rejection or uncaught exception is a bug (an
 * import's own trouble is caught by the engine): it is logged, the runs are stopped with their
 * checkpoints saved, and the process exits 1 rather than live on half-broken.
 */
export function guardProcess({ process, logger, close, deadlineMs }: ProcessGuardOptions): void {
  let exitCode = 0;
  let closing = false;
  const closeThenExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
    if (closing) return;
    closing = true;
    // A close that hangs must not keep the process alive past its deadline.
    const hangGuard = setTimeout(() => process.exit(1), deadlineMs + 1_000).unref();
    close(deadlineMs).then(
      () => {
        clearTimeout(hangGuard);
        process.exit(exitCode);
      },
      (error: unknown) => {
        clearTimeout(hangGuard);
        logger.error(errorFields(error), 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      logger.info({ signal }, 'Shutting down: stopping imports and saving checkpoints');
      closeThenExit(0);
    });
  }
  process.on('unhandledRejection', (reason) => {
    logger.fatal(errorFields(reason), 'Unhandled promise rejection: stopping imports, saving checkpoints and exiting');
    closeThenExit(1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal(errorFields(error), 'Uncaught exception: stopping imports, saving checkpoints and exiting');
    closeThenExit(1);
  });
}
