import { AsyncLocalStorage } from 'node:async_hooks';
import { isCallerDeadline } from './retry';
import { describeNetworkFailure, noAnswerWithin, PlatformError } from './platform-error';

/** A request given up because no answer came within the request deadline. */
class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(noAnswerWithin(timeoutMs));
    // Not "TimeoutError" or "AbortError": the commercetools SDK swallows errors with those names.
    this.name = 'DeadlineExceeded';
  }
}

/** A request cut off because the call's signal aborted (a stop, or the caller's own deadline). */
class CallStopped extends Error {
  constructor(readonly afterMs: number) {
    super(`stopped after ${afterMs} ms`);
    this.name = 'CallStopped';
  }
}

const scopes = new AsyncLocalStorage<CallScope>();

/**
 * One call to a platform, its retries excepted: the caller's signal, reachable from every HTTP
 * request the SDK makes on the call's behalf (token requests included) without threading it through
 * the SDK, and what the last of those requests that failed threw.
 */
export class CallScope {
  lastFailure?: unknown;

  constructor(readonly signal?: AbortSignal) {}

  run<T>(request: () => Promise<T>): Promise<T> {
    return scopes.run(this, request);
  }
}

/**
 * How long a request that may change data is given to finish after a stop. Its outcome is then
 * known, so the records it carried count as sent and a resumed run does not send them again; one
 * that hangs is cut off all the same, well inside the 10 s a SIGTERM leaves.
 */
export const stopGraceMs = 3_000;

/** True for the methods of requests that may change data on the server. */
const changesData = (method: string | undefined) => !['GET', 'HEAD'].includes((method ?? 'GET').toUpperCase());

/**
 * Sends one HTTP request with a signal that aborts it after `timeoutMs`, or when the current call's
 * signal aborts: at once for a read or the caller's own deadline, after `stopGraceMs` for a write
 * stopped by the caller. An aborted request rejects with DeadlineExceeded or CallStopped, any
 * other failure with what `send` threw; either is kept as the scope's lastFailure, since an SDK
 * may wrap it beyond recognition.
 */
export async function underDeadline<T>(
  timeoutMs: number,
  method: string | undefined,
  send: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const scope = scopes.getStore();
  const startedAt = Date.now();
  const request = new AbortController();
  const stop = () => request.abort(new CallStopped(Date.now() - startedAt));
  const timers = [setTimeout(() => request.abort(new DeadlineExceeded(timeoutMs)), timeoutMs)];
  const onStop = () => {
    if (changesData(method) && !isCallerDeadline(scope?.signal?.reason)) timers.push(setTimeout(stop, stopGraceMs));
    else stop();
  };
  // A request not yet sent when the stop came has no outcome to wait for.
  if (scope?.signal?.aborted) stop();
  else scope?.signal?.addEventListener('abort', onStop, { once: true });
  try {
    return await send(request.signal);
  } catch (error) {
    const failure: unknown = request.signal.aborted ? request.signal.reason : error;
    if (scope) scope.lastFailure = failure;
    throw failure;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    scope?.signal?.removeEventListener('abort', onStop);
  }
}

/**
 * What an attempt rejects with when its request got no answer:
 * - cut off by a stop: the signal's reason, which withRetry does not retry;
 * - cut off by the caller's deadline (`AbortSignal.timeout`), or past the request deadline: a
 *   retryable PlatformError "no answer within N s", code `timeout`;
 * - a network failure: a retryable PlatformError naming the cause, "connection refused (ECONNREFUSED)".
 */
export function unansweredError(
  platform: PlatformError['platform'],
  operation: string,
  failure: unknown,
  signal: AbortSignal | undefined,
): unknown {
  if (failure instanceof CallStopped && !isCallerDeadline(signal?.reason)) return signal?.reason;
  if (failure instanceof CallStopped || failure instanceof DeadlineExceeded) {
    const waitedMs = failure instanceof CallStopped ? failure.afterMs : failure.timeoutMs;
    return new PlatformError(platform, operation, undefined, noAnswerWithin(waitedMs), undefined, [], 'timeout');
  }
  const { code, detail } = describeNetworkFailure(failure);
  return new PlatformError(platform, operation, undefined, detail, undefined, [], code);
}
