import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  url: string;
  /** Path of every request received, in order. */
  paths: string[];
  /** Requests whose connection closed before this server answered them. */
  abandoned: number;
  /** Resolves with the path of the `count`-th request as soon as it arrives. */
  received(count: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on a free local port, for faults a platform shows: answers that never come,
 * connections dropped or reset, error bodies. `handle` may leave a request unanswered.
 */
export async function startLocalServer(
  handle: (request: IncomingMessage, response: ServerResponse, index: number) => void,
): Promise<LocalServer> {
  const waiting: Array<{ count: number; resolve: (path: string) => void }> = [];
  const server = http.createServer((request, response) => {
    const index = local.paths.push(request.url ?? '') - 1;
    response.on('close', () => {
      if (!response.writableFinished) local.abandoned++;
    });
    for (const waiter of waiting.filter((candidate) => candidate.count === index + 1))
      waiter.resolve(request.url ?? '');
    handle(request, response, index);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const local: LocalServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths: [],
    abandoned: 0,
    received: (count) =>
      local.paths.length >= count
        ? Promise.resolve(local.paths[count - 1])
        : new Promise((resolve) => waiting.push({ count, resolve })),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return local;
}

/** A local URL nothing listens on: connecting to it is refused. */
export async function refusingUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Answers with a JSON body. */
export function answer(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Polls `condition` until it holds; fails after a generous deadline instead of sleeping a fixed time. */
export async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
