/**
 * Transport faults of the emulator: what a network and a struggling server do to requests, so
 * that tests can show how the service copes. Each fault is decided per API request, after
 * routing and before anything else (authentication, rate limit, validation).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { milliseconds, serverErrorStatuses, share } from '../fault-options';
import { ApiError } from './errors';

export const faultOptionsSchema = z
  .object({
    /** Share of requests answered with a server error, its status drawn from `errorStatuses`. */
    errorRate: share,
    /** Statuses a server error is drawn from (equally often); default 503 only. */
    errorStatuses: serverErrorStatuses,
    /** Added before every request is handled. */
    latencyMs: milliseconds,
    /** Share of requests whose connection is destroyed before anything is handled or answered. */
    dropRate: share,
    /** Share of requests held unanswered (and not handled) until the client gives up or the hang is lifted. */
    hangRate: share,
    /** Share of requests that are handled, then answered with the headers and half the body before the connection is destroyed. */
    resetMidBodyRate: share,
    /** Requests are handled at once and their answer held back this long (0 = off): an answer slower than a client's deadline. */
    slowMs: milliseconds,
    /** Share of requests `slowMs` applies to; default all. */
    slowRate: share,
    /** operationIds the faults apply to; empty = every operation. */
    operations: z.array(z.string().min(1)),
  })
  .partial()
  .strict();

export type FaultOptions = z.infer<typeof faultOptionsSchema>;
export type FaultConfig = Required<FaultOptions>;

export const noFaults: FaultConfig = {
  errorRate: 0,
  errorStatuses: [503],
  latencyMs: 0,
  dropRate: 0,
  hangRate: 0,
  resetMidBodyRate: 0,
  slowMs: 0,
  slowRate: 1,
  operations: [],
};

/** A fault configuration the emulator refuses (unknown field, share outside 0..1 …). */
export class FaultConfigError extends Error {}

/** Checks fault options from a test or the config endpoint; throws FaultConfigError naming the problem. */
export function parseFaultOptions(options: unknown): FaultOptions {
  const parsed = faultOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw new FaultConfigError(`faults: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

interface HeldRequest {
  operationId: string;
  release: () => void;
}

/** Applies `config` (changed in place by the emulator's configure) to each request. */
export class FaultInjector {
  private random: () => number;
  private readonly held = new Set<HeldRequest>();

  constructor(
    private readonly config: FaultConfig,
    seed: number,
    private readonly onInjected: () => void,
  ) {
    this.random = seededRandom(seed);
  }

  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  /**
   * Runs the faults for one request. Answers false when the request is finished (dropped, given
   * up by its client, answered with an error); true when the emulator should handle it, in
   * which case its answer may still be held back or cut off.
   */
  async apply(operationId: string, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    if (!this.targets(operationId)) return true;
    const { config } = this;
    if (this.roll(config.dropRate)) {
      request.socket.destroy();
      return false;
    }
    if (this.roll(config.hangRate) && !(await this.hold(operationId, response))) return false;
    if (config.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, config.latencyMs));
    if (this.roll(config.errorRate)) {
      const status = config.errorStatuses[Math.floor(this.random() * config.errorStatuses.length)];
      request.resume();
      await new Promise((resolve) => request.once('end', resolve).once('error', resolve));
      const error =
        status === 500
          ? new ApiError(500, 'error', 'A server error occurred.', 'Injected fault: the emulator answered 500.')
          : new ApiError(
              status,
              'service_unavailable',
              'Service unavailable.',
              `Injected fault: the emulator answered ${status}.`,
            );
      response
        .writeHead(error.status, { 'Content-Type': 'application/vnd.api+json' })
        .end(JSON.stringify({ errors: [error.error] }));
      return false;
    }
    if (this.roll(config.resetMidBodyRate)) cutAnswer(response);
    else if (config.slowMs > 0 && this.roll(config.slowRate)) holdAnswer(response, config.slowMs);
    return true;
  }

  /** Lets held requests whose hang no longer applies (lifted or retargeted) go on to be handled. */
  reconsider(): void {
    for (const entry of this.held) {
      if (this.config.hangRate === 0 || !this.targets(entry.operationId)) entry.release();
    }
  }

  private targets(operationId: string): boolean {
    return this.config.operations.length === 0 || this.config.operations.includes(operationId);
  }

  /** Counts an injected fault when the dice say so. */
  private roll(rate: number): boolean {
    if (rate <= 0 || this.random() >= rate) return false;
    this.onInjected();
    return true;
  }

  /** Waits until the client gives up (false) or the hang is lifted (true). */
  private hold(operationId: string, response: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const entry: HeldRequest = {
        operationId,
        release: () => {
          this.held.delete(entry);
          response.off('close', gone);
          resolve(true);
        },
      };
      const gone = () => {
        this.held.delete(entry);
        resolve(false);
      };
      response.once('close', gone);
      this.held.add(entry);
    });
  }
}

/**
 * Replaces the answer's `end` so that the status line, headers and the first half of the body go
 * out and the connection is then destroyed: the client sees a response that breaks off. Patched
 * on this one response object because the handlers answer through `end` wherever they finish.
 */
function cutAnswer(response: ServerResponse): void {
  response.end = ((chunk?: unknown) => {
    const body = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? Buffer.from(chunk) : Buffer.alloc(0);
    response.flushHeaders();
    response.write(body.subarray(0, Math.floor(body.length / 2)), () => response.socket?.destroy());
    return response;
  }) as ServerResponse['end'];
}

/** Holds the finished answer back for `delayMs`; nothing reaches the client before then. */
function holdAnswer(response: ServerResponse, delayMs: number): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    const timer = setTimeout(() => end(...args), delayMs);
    response.once('close', () => clearTimeout(timer));
    return response;
  }) as ServerResponse['end'];
}

/** mulberry32: a small seeded generator so fault patterns can be reproduced. */
function seededRandom(seed: number): () => number {
  let value = seed >>> 0;
  return () => {
    value = (value + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(value ^ (value >>> 15), 1 | value);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
