import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface HttpServer {
  /** Starts listening; port 0 picks a free one. */
  listen(port: number): Promise<{ port: number }>;
  /** Stops accepting connections and resolves once the requests under way are answered. */
  close(): Promise<void>;
}

/** An Express app as a server that is started and closed with promises. */
export function httpServer(app: Express): HttpServer {
  let server: Server | undefined;
  return {
    listen: (port) =>
      new Promise((resolve, reject) => {
        server = app.listen(port, (error?: Error) => {
          if (error) return reject(error);
          resolve({ port: (server!.address() as AddressInfo).port });
        });
      }),
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}
