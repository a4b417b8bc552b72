import { existsSync, readFileSync } from 'node:fs';

export interface RateLimitWindow {
  limit: number;
  windowMs: number;
}

export interface QueryParameter {
  name: string;
  required: boolean;
  type: string | undefined;
  /** JSON pointer to the parameter's schema inside the spec document. */
  schemaPointer: string;
}

/** Everything the emulator takes from one operation of the spec. */
export interface SpecOperation {
  operationId: string;
  method: string;
  path: string;
  queryParameters: Map<string, QueryParameter>;
  bodySchemaPointer?: string;
  rateLimits: RateLimitWindow[];
  /** "Accepts up to N … per request". */
  maxRecords?: number;
  /** "The maximum allowed payload size is N KB/MB". */
  maxPayloadBytes?: number;
  /** "The maximum number of jobs in progress at one time is N". */
  maxJobsInProgress?: number;
  /** From the filter parameter's "Allowed field(s)/operator(s)" list: field -> operators. */
  filterRules?: Map<string, Set<string>>;
}

/** The parts of an OpenAPI document the emulator reads. */
interface OpenApiDocument {
  paths: Record<string, Partial<Record<string, OpenApiOperation>>>;
}

interface OpenApiOperation {
  operationId?: string;
  description?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: unknown } | undefined> };
  'x-klaviyo-ratelimit'?: { burst?: string; steady?: string };
}

interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: { type?: string };
}

export interface KlaviyoSpec {
  document: Record<string, unknown>;
  operations: Map<string, SpecOperation>;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const WINDOW_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const BYTES: Record<string, number> = { KB: 1024, MB: 1024 * 1024 };

/** Returns undefined when the file is absent, so the emulator can run without validation. */
export function loadSpec(path: string): KlaviyoSpec | undefined {
  if (!existsSync(path)) return undefined;
  const document = JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument & Record<string, unknown>;
  const operations = new Map<string, SpecOperation>();
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      const operationId = operation?.operationId;
      if (!operation || !operationId) continue;
      const pointer = `#/paths/${escapePointer(path)}/${method}`;
      operations.set(
        operationId,
        describeOperation({ ...operation, operationId }, method.toUpperCase(), path, pointer),
      );
    }
  }
  return { document, operations };
}

function describeOperation(
  operation: OpenApiOperation & { operationId: string },
  method: string,
  path: string,
  pointer: string,
): SpecOperation {
  const description: string = operation.description ?? '';
  const queryParameters = new Map<string, QueryParameter>();
  let filterRules: Map<string, Set<string>> | undefined;
  (operation.parameters ?? []).forEach((parameter, index) => {
    if (parameter.in !== 'query') return;
    queryParameters.set(parameter.name, {
      name: parameter.name,
      required: parameter.required === true,
      type: parameter.schema?.type,
      schemaPointer: `${pointer}/parameters/${index}/schema`,
    });
    if (parameter.name === 'filter') filterRules = parseFilterRules(parameter.description ?? '');
  });
  const bodyContent = operation.requestBody?.content ?? {};
  const bodyMediaType = Object.keys(bodyContent).find((type) => bodyContent[type]?.schema);
  const rateLimit = operation['x-klaviyo-ratelimit'] ?? {};
  const payload = /maximum allowed payload size is (\d+)\s*(KB|MB)/.exec(description);
  const records = /Accepts up to ([\d,]+) /.exec(description);
  const jobs = /maximum number of jobs in progress at one time is ([\d,]+)/.exec(description);
  return {
    operationId: operation.operationId,
    method,
    path,
    queryParameters,
    bodySchemaPointer: bodyMediaType
      ? `${pointer}/requestBody/content/${escapePointer(bodyMediaType)}/schema`
      : undefined,
    rateLimits: [rateLimit.burst, rateLimit.steady]
      .filter((limit): limit is string => Boolean(limit))
      .map(parseRateLimit),
    maxRecords: records ? parseCount(records[1]) : undefined,
    maxPayloadBytes: payload ? Number(payload[1]) * BYTES[payload[2]] : undefined,
    maxJobsInProgress: jobs ? parseCount(jobs[1]) : undefined,
    filterRules,
  };
}

/** "10/s" -> 10 per 1000 ms. */
function parseRateLimit(text: string): RateLimitWindow {
  const match = /^(\d+)\/([smhd])$/.exec(text.trim());
  if (!match) throw new Error(`Unreadable x-klaviyo-ratelimit value: ${text}`);
  return { limit: Number(match[1]), windowMs: WINDOW_MS[match[2]] };
}

/** Reads "Allowed field(s)/operator(s):<br>`email`: `any`, `equals`<br>…". */
function parseFilterRules(description: string): Map<string, Set<string>> {
  const rules = new Map<string, Set<string>>();
  const list = description.split('Allowed field(s)/operator(s):')[1] ?? '';
  for (const line of list.split('<br>')) {
    const match = /^`([^`]+)`:\s*(.+)$/.exec(line.trim());
    if (!match) continue;
    rules.set(match[1], new Set([...match[2].matchAll(/`([^`]+)`/g)].map((operator) => operator[1])));
  }
  return rules;
}

function parseCount(text: string): number {
  return Number(text.replace(/,/g, ''));
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
