import type { TrackedRun } from './tracked-run';

/**
 * The importer's promise, given up `windDownMs` after the run was aborted: an importer that does
 * not return (a request that ignores the signal) must not keep the run from ending.
 */
export function untilWoundDown(
  run: Pick<TrackedRun, 'context' | 'warnings'>,
  work: Promise<void>,
  windDownMs: number,
): Promise<void> {
  const { signal, logger } = run.context;
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = () => {
      timer = setTimeout(() => {
        run.warnings.push(
          `the import did not wind down within ${windDownMs / 1000} s of being aborted; it ended without waiting`,
        );
        logger.error('Import did not wind down in time; ending the run without it');
        resolve();
      }, windDownMs);
    };
    const settled = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', giveUp);
    };
    if (signal.aborted) giveUp();
    else signal.addEventListener('abort', giveUp, { once: true });
    work.then(
      () => {
        settled();
        resolve();
      },
      (error: unknown) => {
        settled();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
