import { catalogHandlersForAllKinds } from './catalog';
import type { OperationHandler } from './context';
import { eventHandlers } from './events';
import { profileHandlers } from './profiles';
import type { KlaviyoSpec, SpecOperation } from './spec';

export interface Route {
  method: string;
  path: string;
  /** The spec's operationId; `<METHOD> <path>` when running without the spec. */
  operationId: string;
  operation?: SpecOperation;
  /** Absent for spec operations the emulator does not implement (answered 501). */
  handler?: OperationHandler;
  pattern: RegExp;
  parameterNames: string[];
}

const emulatedOperations: OperationHandler[] = [...profileHandlers, ...eventHandlers, ...catalogHandlersForAllKinds];

/**
 * With the spec, every operation it defines is routable (so an unimplemented one is told
 * apart from a wrong path); without it, only the emulated ones.
 */
export function buildRoutes(spec: KlaviyoSpec | undefined): Route[] {
  const handlers = new Map(emulatedOperations.map((handler) => [`${handler.method} ${handler.path}`, handler]));
  const routes: Route[] = [];
  if (spec) {
    for (const operation of spec.operations.values()) {
      const key = `${operation.method} ${operation.path}`;
      routes.push(route(operation.method, operation.path, operation.operationId, operation, handlers.get(key)));
      handlers.delete(key);
    }
    if (handlers.size > 0)
      throw new Error(`Emulated operations missing from the spec: ${[...handlers.keys()].join(', ')}`);
  } else {
    for (const [key, handler] of handlers) routes.push(route(handler.method, handler.path, key, undefined, handler));
  }
  // A literal segment wins over a parameter: /api/profiles/{id} must not swallow a longer literal path.
  return routes.sort((a, b) => a.parameterNames.length - b.parameterNames.length);
}

function route(
  method: string,
  path: string,
  operationId: string,
  operation: SpecOperation | undefined,
  handler: OperationHandler | undefined,
): Route {
  const parameterNames: string[] = [];
  const source = path
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const parameter = /^\{([^}]+)\}$/.exec(part);
      if (!parameter) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1]);
      return '([^/]+)';
    })
    .join('');
  return { method, path, operationId, operation, handler, pattern: new RegExp(`^${source}/?$`), parameterNames };
}

export function matchRoute(
  routes: Route[],
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(pathname);
    if (!match) continue;
    const params = Object.fromEntries(
      candidate.parameterNames.map((name, index) => [name, decodeURIComponent(match[index + 1])]),
    );
    return { route: candidate, params };
  }
  return undefined;
}
