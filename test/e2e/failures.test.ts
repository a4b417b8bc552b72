/**
 * Failed and skipped records end to end, through the service's HTTP API against the sandbox: the
 * emulator refuses chosen records the way Klaviyo refuses invalid input; GET /sync/<type>/failures
 * lists exactly those (and the skipped ones) from commercetools, in JSON lines and CSV; once the
 * fault is gone, `retryFailed` imports exactly the failed records, as counted in the emulator.
 */
import type { Category, Customer, Order } from '@commercetools/platform-sdk';
import type { EmulatorRecords } from '../support/klaviyo-answers';
import {
  emulatorInspector,
  http,
  runImport,
  startService,
  type EndedRun,
  type RunningService,
} from '../support/service-harness';
import { readAllRecords, startSandbox, type RunningSandbox } from '../support/sandbox-process';

let sandbox: RunningSandbox;
let service: RunningService;
let klaviyo: ReturnType<typeof emulatorInspector>;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: 11,
    customers: 200,
    orders: 300,
    categories: 12,
    products: 20,
    rateLimitSpeed: 0,
    startTimeoutMs: 120_000,
  });
  klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
  service = await startService(sandbox.env);
}, 180_000);

afterAll(async () => {
  await service?.close();
  await sandbox?.stop();
});

/** A record as the emulator's inspection API answers it: profiles, catalog records, events, jobs. */
interface EmulatorRecord {
  attributes: Record<string, unknown>;
  meta: { metric_name?: string; unique_id?: string };
}

const records = async (kind: keyof EmulatorRecords) => (await klaviyo.records(kind)) as EmulatorRecord[];

interface Listed {
  id: string;
  kind: 'failed' | 'skipped';
  reason: string;
  code?: string;
  pointer?: string;
}

/** Runs an import with the emulator refusing `refused` records, then takes the fault away. */
async function importRefusing(type: string, refused: string[], body?: unknown): Promise<EndedRun> {
  expect((await klaviyo.configure({ refuseRecords: refused })).status).toBe(200);
  try {
    return await runAnImport(type, body);
  } finally {
    await klaviyo.configure({ refuseRecords: [] });
  }
}

const runAnImport = (type: string, body?: unknown) => runImport(service.url, type, body, 180_000);

async function listFailures(
  type: string,
  query = '',
  accept?: string,
): Promise<{ status: number; runId: string | null; contentType: string | null; text: string }> {
  const response = await fetch(`${service.url}/sync/${type}/failures${query}`, {
    headers: accept ? { accept } : {},
  });
  return {
    status: response.status,
    runId: response.headers.get('x-run-id'),
    contentType: response.headers.get('content-type'),
    text: await response.text(),
  };
}

function jsonLines(text: string): Listed[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Listed);
}

/** RFC 4180 as a spreadsheet reads it: quoted fields may hold commas, quotes (doubled) and line breaks. */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted && char === '"' && text[index + 1] === '"') {
      field += '"';
      index++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index++;
    } else {
      field += char;
    }
  }
  return rows;
}

const sorted = (ids: string[]) => [...ids].sort();
const idsOf = (entries: Listed[], kind: Listed['kind']) =>
  sorted(entries.filter((entry) => entry.kind === kind).map((entry) => entry.id));

describe('failures of a run', () => {
  it('lists exactly the refused customers with Klaviyo’s code and pointer, in JSON lines and CSV; retryFailed imports exactly them', async () => {
    const customers = await readAllRecords<Customer>(sandbox, 'customers');
    const refused = [customers[5], customers[77], customers[150]].map((customer) => customer.id);
    await klaviyo.reset();
    const first = await importRefusing('customers', refused);
    expect(first).toMatchObject({ state: 'completed', counters: { read: customers.length, failed: 3 } });

    const lines = await listFailures('customers');
    expect(lines).toMatchObject({
      status: 200,
      runId: first.runId,
      contentType: 'application/x-ndjson; charset=utf-8',
    });
    const entries = jsonLines(lines.text);
    expect(sorted(entries.map((entry) => entry.id))).toEqual(sorted(refused));
    for (const entry of entries) {
      expect(entry).toMatchObject({ kind: 'failed', code: 'invalid' });
      expect(entry.reason).toMatch(/^Klaviyo refused the profile: invalid /);
      expect(entry.pointer).toMatch(/^\/data\/attributes\/profiles\/data\/\d+\/attributes\/external_id$/);
    }

    for (const [query, accept] of [
      [`?run=${first.runId}`, 'text/csv'],
      ['?format=csv', undefined],
    ] as const) {
      const csv = await listFailures('customers', query, accept);
      expect(csv).toMatchObject({ status: 200, runId: first.runId, contentType: 'text/csv; charset=utf-8' });
      const [header, ...rows] = csvRows(csv.text);
      expect(header).toEqual(['id', 'kind', 'reason', 'code', 'pointer']);
      expect(rows.map(([id, kind, reason, code, pointer]) => ({ id, kind, reason, code, pointer }))).toEqual(
        entries.map((entry) => ({ ...entry })),
      );
    }

    const unknown = await listFailures('customers', '?run=00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toEqual({
      error: 'not_found',
      message: 'No customers run 00000000-0000-4000-8000-000000000000 is known to the failure store.',
    });

    await klaviyo.reset();
    const retry = await runAnImport('customers', { retryFailed: true });
    expect(retry).toMatchObject({
      state: 'completed',
      mode: 'retryFailed',
      retryOf: first.runId,
      counters: { read: 3, sent: 3, succeeded: 3, failed: 0, skipped: 0 },
    });
    expect(retry.runId).not.toBe(first.runId);
    expect(sorted((await records('profiles')).map((profile) => profile.attributes.external_id as string))).toEqual(
      sorted(refused),
    );
    expect(await listFailures('customers')).toMatchObject({ status: 200, runId: retry.runId, text: '' });
    expect(jsonLines((await listFailures('customers', `?run=${first.runId}`)).text)).toHaveLength(3);
  }, 300_000);

  it('lists refused orders as failed and unattributable ones as skipped; retryFailed sends again the events of the failed orders only', async () => {
    const orders = await readAllRecords<Order>(sandbox, 'orders');
    const attributable = orders.filter((order) => order.customerEmail || order.customerId);
    const unattributable = orders.filter((order) => !attributable.includes(order)).map((order) => order.id);
    // Every event of these orders names the order's id, so each is refused whole.
    const refused = [attributable[10].id, attributable[200].id];
    await klaviyo.reset();
    const first = await importRefusing('orders', refused);
    expect(first).toMatchObject({
      state: 'completed',
      counters: { read: orders.length, failed: 2, skipped: unattributable.length },
    });

    const entries = jsonLines((await listFailures('orders', `?run=${first.runId}`)).text);
    expect(idsOf(entries, 'failed')).toEqual(sorted(refused));
    expect(idsOf(entries, 'skipped')).toEqual(sorted(unattributable));
    expect(entries.filter((entry) => entry.kind === 'failed').every((entry) => entry.code === 'invalid')).toBe(true);

    await klaviyo.reset();
    const retry = await runAnImport('orders', { retryFailed: true, run: first.runId });
    expect(retry).toMatchObject({ state: 'completed', mode: 'retryFailed', counters: { read: 2, failed: 0 } });
    const events = await eventsOnceJobsDone();
    const placed = events.filter((event) => event.meta.metric_name === 'Placed Order');
    expect(sorted(placed.map((event) => event.meta.unique_id as string))).toEqual(sorted(refused));
    // Every event recorded is one of the refused orders' (the order's own, or one per line item).
    const ofRefused = new Set(
      orders
        .filter((order) => refused.includes(order.id))
        .flatMap((order) => [order.id, ...order.lineItems.map((lineItem) => lineItem.id)]),
    );
    expect(events.filter((event) => !ofRefused.has(event.meta.unique_id as string))).toEqual([]);
  }, 300_000);

  it('retries a refused category by its id, and refuses a retry of a run that failed nothing', async () => {
    const categories = await readAllRecords<Category>(sandbox, 'categories');
    // A leaf: no other category's record names it.
    const leaf = categories.find((category) => !categories.some((other) => other.parent?.id === category.id))!;
    await klaviyo.reset();
    const first = await importRefusing('categories', [leaf.id]);
    expect(first).toMatchObject({ state: 'completed', counters: { read: categories.length, failed: 1 } });
    expect(jsonLines((await listFailures('categories')).text)).toMatchObject([{ id: leaf.id, kind: 'failed' }]);

    await klaviyo.reset();
    const retry = await runAnImport('categories', { retryFailed: true });
    expect(retry).toMatchObject({ state: 'completed', counters: { read: 1, failed: 0 } });
    const created = await records('catalog-categories');
    expect(created.map((category) => category.attributes.external_id)).toEqual([leaf.id]);

    const again = await http(`${service.url}/sync/categories`, 'POST', { retryFailed: true });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'refused', runId: retry.runId });
  }, 300_000);
});

/** The emulator's events once every bulk job it accepted is processed. */
async function eventsOnceJobsDone(): Promise<EmulatorRecord[]> {
  for (let attempt = 0; ; attempt++) {
    const jobs = await records('jobs');
    if (jobs.every((job) => job.attributes.completed_at)) return records('events');
    if (attempt === 1_500) throw new Error('emulator jobs not complete');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
