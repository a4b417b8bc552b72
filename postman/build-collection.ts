import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * Builds the Postman collection from docs/openapi.yaml: each request's method, path, body and the
 * schema its answer is checked against come from the description, so the collection cannot drift
 * from it (a test compares the committed files with what this builds). The steps below only choose
 * the order a user would follow against the local sandbox and the status each should answer.
 * `npm run postman` writes the files.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Operation {
  operationId: string;
  summary?: string;
  requestBody?: unknown;
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Json }> }>;
}
interface Description {
  info: { title: string; summary?: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, Json>>;
}

interface Step {
  name: string;
  operationId: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: Json;
  status: number;
  /** Ask again (every 250 ms, up to 10 minutes) until the answer's `state` is one of these. */
  pollUntil?: string[];
}

/** Runs that ended, whatever the way: a wait step asks until the run reaches one of these. */
const ended = ['completed', 'failed', 'stopped', 'interrupted'];

/** A start and the wait for its end, as a user runs one import. */
function startAndWait(
  type: string,
  body: Json,
  names: { start: string; wait: string },
  statusOperation = 'importStatus',
): Step[] {
  return [
    { name: names.start, operationId: 'startImport', params: { type }, body, status: 202 },
    { name: names.wait, operationId: statusOperation, params: { type }, status: 200, pollUntil: ended },
  ];
}

/** A user's first session against the sandbox: probes, each import in order, and the common mistakes. */
const steps: Step[] = [
  { name: 'Liveness', operationId: 'liveness', status: 200 },
  { name: 'Readiness', operationId: 'readiness', status: 200 },
  ...['categories', 'products', 'customers', 'orders'].flatMap((type) =>
    startAndWait(type, {}, { start: `Start ${type}`, wait: `Wait for ${type}` }),
  ),
  { name: 'All statuses', operationId: 'allStatuses', status: 200 },
  ...startAndWait(
    'orders',
    { dryRun: true },
    { start: 'Dry run of the orders: what would be sent', wait: 'Wait for the dry run and read its report' },
    'dryRunStatus',
  ),
  ...startAndWait(
    'customers',
    { since: 'lastRun' },
    {
      start: 'Import the customers changed since the last run',
      wait: 'Wait for the customers changed since the last run',
    },
  ),
  ...startAndWait(
    'customers',
    { ids: ['no-such-customer'] },
    { start: 'Import customers by id (an unknown id is counted as failed)', wait: 'Wait for the customers by id' },
  ),
  ...startAndWait(
    'customers',
    { retryFailed: true },
    { start: 'Retry the failed records of the last customers run', wait: 'Wait for the retry' },
  ),
  { name: 'Stop when nothing runs', operationId: 'stopImport', params: { type: 'orders' }, status: 400 },
  {
    name: 'A misspelt field is refused',
    operationId: 'startImport',
    params: { type: 'customers' },
    body: { id: ['x'] },
    status: 400,
  },
  {
    name: 'Nothing to resume after a completed run',
    operationId: 'startImport',
    params: { type: 'categories' },
    body: { resume: true },
    status: 400,
  },
  {
    name: 'Clear a lock without the confirmation',
    operationId: 'clearLock',
    params: { type: 'orders' },
    query: { confirm: 'customers' },
    status: 400,
  },
  {
    name: 'Clear a lock nobody holds',
    operationId: 'clearLock',
    params: { type: 'orders' },
    query: { confirm: 'orders' },
    status: 200,
  },
  { name: 'An unknown import type', operationId: 'startImport', params: { type: 'invoices' }, body: {}, status: 404 },
];

const projectRoot = path.join(__dirname, '..');
export const collectionPath = path.join(projectRoot, 'postman', 'ct-klaviyo-bulk-import.postman_collection.json');
export const environmentPath = path.join(projectRoot, 'postman', 'local-sandbox.postman_environment.json');

export function buildCollection(description: Description): Json {
  const operations = new Map<string, { method: string; template: string; operation: Operation }>();
  for (const [template, methods] of Object.entries(description.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.set(operation.operationId, { method: method.toUpperCase(), template, operation });
    }
  }
  const items = steps.map((step) => {
    const found = operations.get(step.operationId);
    if (!found) throw new Error(`${step.name}: no operation ${step.operationId} in the description`);
    return item(step, found, description);
  });
  return {
    info: {
      name: description.info.title,
      description: `${description.info.summary ?? ''}\n\nBuilt from docs/openapi.yaml (version ${description.info.version}) by \`npm run postman\`; run it in order against the local sandbox (\`npm run sandbox\` and \`npm run start-ts\`) with the "local sandbox" environment.`,
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{apiKey}}', type: 'string' }] },
    item: items,
  };
}

export function buildEnvironment(): Json {
  return {
    name: 'local sandbox',
    values: [
      { key: 'baseUrl', value: 'http://localhost:6779', type: 'default', enabled: true },
      { key: 'apiKey', value: '', type: 'secret', enabled: true },
    ],
  };
}

function item(
  step: Step,
  { method, template, operation }: { method: string; template: string; operation: Operation },
  description: Description,
): Json {
  const pathSegments = template
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/^\{(.+)\}$/, (_match, name: string) => required(step.params, name, step)));
  const query = Object.entries(step.query ?? {}).map(([key, value]) => ({ key, value }));
  const rawQuery = query.length > 0 ? `?${query.map(({ key, value }) => `${key}=${value}`).join('&')}` : '';
  const request: Record<string, Json> = {
    method,
    description: operation.summary ?? '',
    url: {
      raw: `{{baseUrl}}/${pathSegments.join('/')}${rawQuery}`,
      host: ['{{baseUrl}}'],
      path: pathSegments,
      ...(query.length > 0 ? { query } : {}),
    },
  };
  if (step.body !== undefined) {
    request.header = [{ key: 'Content-Type', value: 'application/json' }];
    request.body = { mode: 'raw', raw: JSON.stringify(step.body, null, 2), options: { raw: { language: 'json' } } };
  }
  return {
    name: step.name,
    event: [
      ...(step.pollUntil ? [{ listen: 'prerequest', script: { type: 'text/javascript', exec: pollPause() } }] : []),
      {
        listen: 'test',
        script: { type: 'text/javascript', exec: checks(step, answerSchema(step, operation, description)) },
      },
    ],
    request,
  };
}

function required(values: Record<string, string> | undefined, name: string, step: Step): string {
  const value = values?.[name];
  if (value === undefined) throw new Error(`${step.name}: no value for the path parameter ${name}`);
  return value;
}

/** The answer's schema for the step's status, with every reference resolved (Postman checks it alone). */
function answerSchema(step: Step, operation: Operation, description: Description): Json {
  let response = operation.responses[String(step.status)];
  if (!response) throw new Error(`${step.name}: ${step.operationId} does not describe ${step.status}`);
  if (response.$ref) response = resolve(response.$ref, description) as typeof response;
  const schema = response.content?.['application/json']?.schema;
  if (schema === undefined) throw new Error(`${step.name}: no JSON schema for ${step.status}`);
  return inline(schema, description);
}

function resolve(reference: string, description: Description): Json {
  const [, section, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(reference) ?? [];
  const found = description.components[section]?.[name];
  if (found === undefined) throw new Error(`unresolved reference ${reference}`);
  return found;
}

/** Keeps what validates: references inlined; examples, descriptions and formats (which Postman's validator does not all know) left out. */
function inline(schema: Json, description: Description): Json {
  if (Array.isArray(schema)) return schema.map((each) => inline(each, description));
  if (schema === null || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') return inline(resolve(schema.$ref, description), description);
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => !['example', 'examples', 'description', 'format'].includes(key))
      .map(([key, value]) => [key, inline(value, description)]),
  );
}

function pollPause(): string[] {
  return ['// Status is asked again until the run ends: pause between asks.', 'setTimeout(() => {}, 250);'];
}

function checks(step: Step, schema: Json): string[] {
  const lines = [
    `pm.test('answers ${step.status}', () => pm.response.to.have.status(${step.status}));`,
    `const schema = ${JSON.stringify(schema)};`,
    `pm.test('the answer is the one docs/openapi.yaml describes', () => pm.response.to.have.jsonSchema(schema));`,
  ];
  if (!step.pollUntil) return lines;
  return [
    ...lines,
    `const ended = ${JSON.stringify(step.pollUntil)};`,
    `const asked = Number(pm.collectionVariables.get('statusAsks') || 0) + 1;`,
    `if (!ended.includes(pm.response.json().state) && asked < 2400) {`,
    `  pm.collectionVariables.set('statusAsks', asked);`,
    `  postman.setNextRequest(pm.info.requestName);`,
    `} else {`,
    `  pm.collectionVariables.set('statusAsks', 0);`,
    `  pm.test('the run completed', () => pm.expect(pm.response.json().state).to.eql('completed'));`,
    `}`,
  ];
}

export function loadDescription(): Description {
  return parse(readFileSync(path.join(projectRoot, 'docs', 'openapi.yaml'), 'utf8')) as Description;
}

export function formatted(value: Json): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(collectionPath, formatted(buildCollection(loadDescription())));
  writeFileSync(environmentPath, formatted(buildEnvironment()));
  process.stdout.write(
    `Wrote ${path.relative(projectRoot, collectionPath)} and ${path.relative(projectRoot, environmentPath)}\n`,
  );
}
