/**
 * Faults of the commercetools sandbox: server errors, hung requests, slow custom-object writes,
 * and timed outages during which the port refuses connections. They apply to API requests only:
 * token requests and the control API under /__sandbox/ are never faulted (but an outage closes
 * the whole port).
 */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import { milliseconds, serverErrorStatuses, share } from '../fault-options';

export const commercetoolsFaultsSchema = z
  .object({
    /** Share of API requests answered with a server error, its status drawn from `errorStatuses`. */
    errorRate: share,
    /** Statuses a server error is drawn from, equally often; default 503 only. */
    errorStatuses: serverErrorStatuses,
    /** Share of API requests held without an answer until the client gives up. */
    hangRate: share,
    /** Custom-object writes (POST, DELETE: locks and checkpoints) are handled this much later. */
    writeLatencyMs: milliseconds,
    /** Starts an outage now: the port refuses connections for this long, then serves the same data again. */
    outageMs: milliseconds.max(600_000),
  })
  .partial()
  .strict();

export type CommercetoolsFaultOptions = z.infer<typeof commercetoolsFaultsSchema>;
export type CommercetoolsFaultConfig = Required<Omit<CommercetoolsFaultOptions, 'outageMs'>>;

export interface FaultState {
  faults: CommercetoolsFaultConfig;
  /** API requests a fault struck (outages not counted: nothing reaches the server then). */
  injected: number;
  /** End of the outage under way, if any. */
  outageUntil: string | null;
}

/** The part of Fastify's reply the faults use (Fastify comes with the mock, not as a dependency of ours). */
interface Reply {
  hijack(): void;
  status(code: number): { send(body: unknown): unknown };
}

const noFaults: CommercetoolsFaultConfig = { errorRate: 0, errorStatuses: [503], hangRate: 0, writeLatencyMs: 0 };

/** Tracks the server's connections so that an outage and close can cut them all, hung ones included. */
export class CommercetoolsFaults {
  private readonly config: CommercetoolsFaultConfig = { ...noFaults };
  private injected = 0;
  private readonly sockets = new Set<Socket>();
  private outage?: { until: Date; timer: NodeJS.Timeout };
  private reopenAt?: AddressInfo;

  constructor(
    private readonly server: Server,
    private readonly log: (message: string) => void,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  state(): FaultState {
    return {
      faults: structuredClone(this.config),
      injected: this.injected,
      outageUntil: this.outage?.until.toISOString() ?? null,
    };
  }

  /** Changes the faults; the fields not given keep their values. An outage starts once `answered` resolves. */
  configure(options: CommercetoolsFaultOptions, answered: Promise<void>): FaultState {
    const { outageMs, ...faults } = options;
    Object.assign(this.config, faults);
    if (outageMs) {
      // A new outage replaces one under way (its end moves with it).
      if (this.outage) clearTimeout(this.outage.timer);
      const until = new Date(Date.now() + outageMs);
      // Set now so the answer tells when it ends; the port closes only after the answer went out.
      const timer = setTimeout(() => this.endOutage(), outageMs);
      this.outage = { until, timer };
      void answered.then(() => this.beginOutage(timer));
    }
    return this.state();
  }

  /**
   * Applies the faults to one API request before the mock handles it. Answers false when the
   * request was answered (an error) or taken over (a hang).
   */
  async apply(method: string, resource: string, reply: Reply): Promise<boolean> {
    const { config } = this;
    if (config.writeLatencyMs > 0 && resource === 'custom-objects' && (method === 'POST' || method === 'DELETE')) {
      await new Promise((resolve) => setTimeout(resolve, config.writeLatencyMs));
    }
    if (config.hangRate > 0 && Math.random() < config.hangRate) {
      this.injected++;
      // Fastify leaves a hijacked request alone: it stays open until the client or an outage closes it.
      reply.hijack();
      return false;
    }
    if (config.errorRate > 0 && Math.random() < config.errorRate) {
      this.injected++;
      const status = config.errorStatuses[Math.floor(Math.random() * config.errorStatuses.length)];
      const message = `Injected fault: the sandbox answered ${status}.`;
      reply.status(status).send({
        statusCode: status,
        message,
        errors: [{ code: status === 503 ? 'ServiceUnavailable' : 'General', message }],
      });
      return false;
    }
    return true;
  }

  /** Ends an outage early and cuts every connection (the sandbox is closing). */
  close(): void {
    if (this.outage) clearTimeout(this.outage.timer);
    this.outage = undefined;
    for (const socket of this.sockets) socket.destroy();
  }

  private beginOutage(timer: NodeJS.Timeout): void {
    if (this.outage?.timer !== timer) return;
    if (this.server.listening) this.reopenAt = this.server.address() as AddressInfo;
    this.log(`outage until ${this.outage.until.toISOString()}: port closed`);
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Listens again on the same port; the mock's data never left memory. */
  private endOutage(): void {
    this.outage = undefined;
    if (this.server.listening || !this.reopenAt) return;
    const { port, address } = this.reopenAt;
    // Another process may have taken the port meanwhile: say so rather than crash the sandbox.
    const failed = (error: Error) =>
      this.log(`outage over, but port ${port} cannot be listened on again: ${error.message}`);
    this.server.once('error', failed);
    this.server.listen(port, address, () => {
      this.server.off('error', failed);
      this.log('outage over: listening again');
    });
  }
}
