/**
 * The status page in a real browser (Chromium through playwright-core), against the service and
 * the sandbox: the page asks for the API key, starts and stops imports, and shows progress and the
 * records Klaviyo refused. Chromium is found at CHROMIUM_PATH (default /usr/bin/chromium);
 * screenshots go to test-output/status-page/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Customer } from '@commercetools/platform-sdk';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { emulatorInspector, pollUntil, startService, type RunningService } from '../support/service-harness';
import { readAllRecords, startSandbox, type RunningSandbox } from '../support/sandbox-process';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = join(__dirname, '..', '..', 'test-output', 'status-page');
const apiKey = 'status-page-test-key';
const customerCount = 240;

let sandbox: RunningSandbox;
let service: RunningService;
let emulator: ReturnType<typeof emulatorInspector>;
let browser: Browser;
let page: Page;
/** Script errors and console errors of the page, CSP violations included; refused API calls are expected. */
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  mkdirSync(screenshots, { recursive: true });
  sandbox = await startSandbox({ seed: 5, customers: customerCount, categories: 5, products: 20, orders: 300 });
  emulator = emulatorInspector(sandbox.klaviyoUrl!);
  service = await startService(sandbox.env, { extraEnv: { BULK_IMPORT_API_KEY: apiKey } });
  // Chromium's sandbox does not run as root (CI runs as root).
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  browser = await chromium.launch({ executablePath: chromiumPath, args });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      pageErrors.push(message.text());
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await sandbox?.stop();
});

function section(type: string): Locator {
  return page.locator(`#import-${type}`);
}

async function stateOf(type: string): Promise<string> {
  return (await section(type).locator('.state').textContent()) ?? '';
}

/** Polls until the import shows `state`, for up to `timeoutMs`. */
function untilState(type: string, state: string, timeoutMs = 90_000): Promise<true> {
  return pollUntil(
    `${type} shown as ${state}`,
    async () => ((await stateOf(type)) === state ? true : undefined),
    timeoutMs,
  );
}

describe('the status page in a browser', () => {
  it('asks for the API key once, keeps it for the session only, and shows the four imports', async () => {
    await page.goto(`${service.url}/`);
    await page.getByLabel(/API key/).fill(apiKey);
    await page.getByRole('button', { name: 'Use this key' }).click();
    for (const type of ['customers', 'orders', 'categories', 'products']) {
      await untilState(type, 'idle', 30_000);
    }
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    const storage = await page.evaluate(() => ({
      local: localStorage.length,
      session: Object.keys(sessionStorage),
    }));
    expect(storage).toEqual({ local: 0, session: ['bulk-import-api-key'] });
    expect(await page.context().cookies()).toEqual([]);
  }, 60_000);

  it('starts an import, shows its bar reach 100 % of the commercetools total, and lists the record Klaviyo refused', async () => {
    const customers = await readAllRecords<Customer>(sandbox, 'customers');
    const refused = customers[7];
    expect((await emulator.configure({ refuseRecords: [refused.id] })).status).toBe(200);
    try {
      await section('customers').getByRole('button', { name: 'Start' }).click();
      const percent = section('customers').locator('.percent');
      await pollUntil(
        'the customers bar at 100 %',
        async () => ((await percent.textContent()) === '100 %' ? true : undefined),
        150_000,
      );
      await untilState('customers', 'completed', 150_000);
    } finally {
      await emulator.configure({ refuseRecords: [] });
    }
    const bar = section('customers').getByLabel('Progress');
    expect([await bar.getAttribute('value'), await bar.getAttribute('max')]).toEqual([
      String(customerCount),
      String(customerCount),
    ]);
    expect(await section('customers').locator('.percent').textContent()).toBe('100 %');
    expect(await section('customers').locator('[data-field="read"]').textContent()).toBe(
      `${customerCount} of ${customerCount}`,
    );

    const failures = section('customers').locator('.failures li');
    expect(await failures.count()).toBe(1);
    expect(await failures.first().textContent()).toMatch(new RegExp(`^${refused.id}: Klaviyo refused the profile`));
    expect(
      await section('customers')
        .getByRole('link', { name: /All failures/ })
        .getAttribute('href'),
    ).toBe('sync/customers/failures?run=last');
    await page.screenshot({ path: join(screenshots, 'customers-completed.png'), fullPage: true });

    // Ids, counts and reasons only: no customer's email, name or phone reaches the page.
    const text = await page.locator('body').innerText();
    const personal = customers.flatMap((customer) =>
      [customer.email, customer.firstName, customer.lastName, ...(customer.addresses ?? []).map((a) => a.phone)].filter(
        (value): value is string => typeof value === 'string' && value.length > 3,
      ),
    );
    expect(personal.length).toBeGreaterThan(customerCount);
    expect(personal.filter((value) => text.includes(value))).toEqual([]);
  }, 180_000);

  it("shows the service's answer to a button: a resume of a completed run is refused", async () => {
    await section('customers').getByRole('button', { name: 'Resume' }).click();
    const answer = section('customers').locator('output');
    await pollUntil('the answer to resume', async () =>
      /^400: The last customers run completed/.test((await answer.textContent()) ?? '') ? true : undefined,
    );
  }, 60_000);

  it('stops a running import', async () => {
    // Slow event requests keep the orders import running until the page stops it.
    await emulator.configure({ faults: { latencyMs: 8_000, operations: ['bulk_create_events'] } });
    try {
      await section('orders').getByRole('button', { name: 'Start' }).click();
      await untilState('orders', 'running', 30_000);
      const stop = section('orders').getByRole('button', { name: 'Stop' });
      await pollUntil('the stop button enabled', async () => ((await stop.isEnabled()) ? true : undefined));
      await stop.click();
      await untilState('orders', 'stopped', 60_000);
    } finally {
      await emulator.configure({ faults: { latencyMs: 0, operations: [] } });
    }
    expect(await section('orders').locator('output').textContent()).toMatch(/^200: The import stops within seconds/);
    expect(await section('orders').getByRole('button', { name: 'Start' }).isEnabled()).toBe(true);
    await page.screenshot({ path: join(screenshots, 'orders-stopped.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
