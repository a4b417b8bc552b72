/**
 * Dry runs end to end, through the service's HTTP API against the sandbox: a dry run sends
 * nothing to the Klaviyo emulator, and what it reports equals what a real run then sends; records
 * made invalid in commercetools are reported with Klaviyo's reasons.
 */
import type { Customer, Order } from '@commercetools/platform-sdk';
import type { DryRunReport } from '../../src/engine/dry-run-report';
import type { DryRunStatus } from '../../src/engine/dry-runs';
import type { RunStatus } from '../../src/engine/run-status';
import {
  emulatorInspector,
  http,
  pollUntil,
  startService,
  waitForState,
  type RunningService,
} from '../support/service-harness';
import { commercetoolsRequest, readAllRecords, startSandbox, type RunningSandbox } from '../support/sandbox-process';

let sandbox: RunningSandbox;
let service: RunningService;
let klaviyo: ReturnType<typeof emulatorInspector>;

/** The parts of the emulator's stats these tests read. */
interface EmulatorStats {
  records: Record<string, number>;
  requests: { total: number; byOperation: Record<string, number> };
}

const emulatorStats = async () => (await klaviyo.stats()) as EmulatorStats;

/** A finished dry run's status: it has its report. */
type FinishedDryRun = DryRunStatus & { dryRunReport: DryRunReport };

beforeAll(async () => {
  sandbox = await startSandbox({ customers: 300, orders: 300, categories: 12, products: 20 });
  klaviyo = emulatorInspector(sandbox.klaviyoUrl!);
  service = await startService(sandbox.env);
}, 120_000);

afterAll(async () => {
  await service?.close();
  await sandbox?.stop();
});

/** Starts a dry run of `type` and polls its own status until it ended; answers that status. */
async function dryRun(type: string, body: Record<string, unknown> = {}): Promise<FinishedDryRun> {
  const started = await http(`${service.url}/sync/${type}`, 'POST', { ...body, dryRun: true });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ type, dryRun: true, status: `/sync/${type}/dry-run` });
  return pollUntil(
    `${type} dry run ended`,
    async () => {
      const status = (await http(`${service.url}/sync/${type}/dry-run`)).body as FinishedDryRun;
      return ['completed', 'failed', 'stopped'].includes(status.state) ? status : undefined;
    },
    120_000,
  );
}

async function realRun(type: string): Promise<RunStatus> {
  expect((await http(`${service.url}/sync/${type}`, 'POST')).status).toBe(202);
  const status = await waitForState(service.url, type, ['completed', 'failed']);
  expect(status.state).toBe('completed');
  return status;
}

/** Applies update actions to a commercetools record: read its version, then POST the actions. */
async function update(resource: string, id: string, actions: unknown[]): Promise<void> {
  const current = await commercetoolsRequest<{ version: number }>(sandbox, 'GET', `/${resource}/${id}`);
  const updated = await commercetoolsRequest(sandbox, 'POST', `/${resource}/${id}`, {
    version: current.body.version,
    actions,
  });
  if (updated.status !== 200) throw new Error(`update ${resource}/${id}: ${updated.status}`);
}

/** Each bulk operation's kind of record and the most records one request carries (Klaviyo's limits). */
const batching: Record<
  string,
  { kind: 'profiles' | 'events' | 'catalogCategories' | 'catalogItems' | 'catalogVariants'; perRequest: number }
> = {
  bulk_import_profiles: { kind: 'profiles', perRequest: 10_000 },
  bulk_create_events: { kind: 'events', perRequest: 1_000 },
  bulk_create_catalog_categories: { kind: 'catalogCategories', perRequest: 100 },
  bulk_create_catalog_items: { kind: 'catalogItems', perRequest: 100 },
  bulk_create_catalog_variants: { kind: 'catalogVariants', perRequest: 100 },
};

describe('dry runs', () => {
  // Each type with the operations it sends and the kinds of record it makes (the emulator's names,
  // the report's too); orders make profiles as well, which the report does not count. Products
  // need their categories in Klaviyo, so a real categories import goes first.
  it.each<[string, string[], Array<'profiles' | 'events' | 'catalogCategories' | 'catalogItems' | 'catalogVariants'>]>([
    ['customers', ['bulk_import_profiles'], ['profiles']],
    ['orders', ['bulk_create_events'], ['events']],
    ['categories', ['bulk_create_catalog_categories'], ['catalogCategories']],
    ['products', ['bulk_create_catalog_items', 'bulk_create_catalog_variants'], ['catalogItems', 'catalogVariants']],
  ])(
    'a dry run of %s sends nothing to Klaviyo, and a real run then sends what it reported',
    async (type, operations, kinds) => {
      await klaviyo.reset();
      if (type === 'products') await realRun('categories');
      const before = await emulatorStats();
      const dry = await dryRun(type);
      expect(dry).toMatchObject({ type, state: 'completed', dryRun: true, counters: { failed: 0 } });
      expect((await emulatorStats()).requests.total).toBe(before.requests.total);
      // The real run's status is its own: the dry run left no lock and no checkpoint behind.
      expect(((await http(`${service.url}/sync/${type}/status`)).body as RunStatus).state).toBe('idle');

      const report = dry.dryRunReport;
      expect(report.refusals.count).toBe(0);
      for (const operation of operations) {
        expect(report.requests[operation].requests).toBeGreaterThan(0);
        expect(report.requests[operation].bytes).toBeGreaterThan(0);
      }
      for (const kind of kinds) expect(report.records[kind]).toBeGreaterThan(0);

      const real = await realRun(type);
      expect(real.counters?.sent).toBe(dry.counters?.sent);
      // Klaviyo (and the emulator) store what bulk requests carry a moment after accepting them.
      const added = (stats: EmulatorStats, kind: string) => stats.records[kind] - before.records[kind];
      const after = await pollUntil(`the emulator holding the ${kinds.join(' and ')}`, async () => {
        const current = await emulatorStats();
        return kinds.every((kind) => added(current, kind) >= report.records[kind]) ? current : undefined;
      });
      for (const kind of kinds) expect(added(after, kind)).toBe(report.records[kind]);
      // How many requests the records become depends on when the readers' pages arrive (a batch
      // waits a moment for more records), so both counts are held to what the records need: at
      // least one request per full batch, at most one per record.
      for (const operation of operations) {
        const { kind, perRequest } = batching[operation];
        const fewest = Math.ceil(report.records[kind] / perRequest);
        const sent = after.requests.byOperation[operation] - (before.requests.byOperation[operation] ?? 0);
        for (const requests of [sent, report.requests[operation].requests]) {
          expect(requests).toBeGreaterThanOrEqual(fewest);
          expect(requests).toBeLessThanOrEqual(report.records[kind]);
        }
      }
      const metricTotal = Object.values(report.records.eventsPerMetric).reduce((sum, count) => sum + count, 0);
      expect(metricTotal).toBe(report.records.events);
      if (type === 'customers') expect(report.records.profiles).toBe(300);
      if (type === 'orders') expect(report.records.events).toBeGreaterThan(300);
    },
    300_000,
  );

  it('reports records Klaviyo would refuse, with their ids and reasons, and sends the others', async () => {
    const [badCustomer, goodCustomer] = (await readAllRecords<Customer>(sandbox, 'customers')).slice(0, 2);
    await update('customers', badCustomer.id, [{ action: 'changeEmail', email: 'not-an-email' }]);
    const [badOrder] = await readAllRecords<Order>(sandbox, 'orders');
    await update('orders', badOrder.id, [{ action: 'setCustomerEmail', email: 'no-at-sign.example.com' }]);
    await klaviyo.reset();

    const customers = await dryRun('customers', { ids: [badCustomer.id, goodCustomer.id] });
    expect(customers.counters).toMatchObject({ read: 2, sent: 1, failed: 1 });
    expect(customers.recentFailures?.map((failure) => failure.id)).toEqual([badCustomer.id]);
    expect(customers.recentFailures?.[0].reason).toContain('the email is not an email address');
    expect(customers.dryRunReport.records.profiles).toBe(1);
    expect(customers.dryRunReport.refusals).toMatchObject({
      count: 1,
      listed: [
        { operation: 'bulk_import_profiles', record: badCustomer.id, reason: 'the email is not an email address' },
      ],
    });

    const orders = await dryRun('orders', { ids: [badOrder.id] });
    expect(orders.counters).toMatchObject({ read: 1, failed: 1 });
    expect(orders.recentFailures?.map((failure) => failure.id)).toEqual([badOrder.id]);
    expect(orders.recentFailures?.[0].reason).toContain('the email is not an email address');
    expect(orders.dryRunReport.refusals.count).toBe(1);
    const [refusedEvents] = orders.dryRunReport.refusals.listed;
    expect(refusedEvents).toMatchObject({
      operation: 'bulk_create_events',
      reason: 'the email is not an email address',
    });
    // The buyer's entry is refused whole: it is named by its events' unique_ids, the order's id among them.
    expect(refusedEvents.record.split(',')).toContain(badOrder.id);
    // Neither the email nor anything else personal is in the report.
    expect(JSON.stringify([customers, orders])).not.toMatch(/not-an-email|no-at-sign/);
    expect((await emulatorStats()).requests.total).toBe(0);
  }, 120_000);

  it('refuses a dry run with resume or deleteAll, and answers its own stop and status', async () => {
    expect((await http(`${service.url}/sync/customers`, 'POST', { dryRun: true, resume: true })).status).toBe(400);
    const deletion = { dryRun: true, deleteAll: true, confirmDeletion: 'products' };
    expect((await http(`${service.url}/sync/products`, 'POST', deletion)).status).toBe(400);
    expect((await http(`${service.url}/sync/products/dry-run/stop`, 'POST')).status).toBe(400);
    // The dry run status answers for dry runs only: idle, or the last one, which has ended.
    const status = (await http(`${service.url}/sync/products/dry-run`)).body as DryRunStatus;
    expect(status).toMatchObject({ type: 'products', dryRun: true });
    expect(['idle', 'completed']).toContain(status.state);
  });
});
