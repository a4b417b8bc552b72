import { PlatformError } from '../platform/platform-error';

/**
 * Runs a commercetools call with a deadline: its signal aborts after `ms` (or with `outer`), and
 * the call is given up then even if it ignores its signal. Running out of time is a PlatformError
 * without status, as a request that got no answer is.
 */
export async function withDeadline<T>(
  ms: number,
  operation: string,
  call: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([controller.signal, outer]) : controller.signal;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new PlatformError('commercetools', operation, undefined, `no answer within ${ms / 1000} s`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const work = call(signal);
  // The call may settle after the deadline; its outcome is no longer anyone's, but it is heard.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
