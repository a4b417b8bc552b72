/**
 * The data generator: deterministic, covering every case the importers must handle, and fast
 * enough to seed 100,000 orders. The generator is plain TypeScript (it only uses the SDK's
 * types), so it runs in-process here; seeding runs in the sandbox process.
 */
import type { Address, Customer, Order, Price, TransactionState } from '@commercetools/platform-sdk';
import { type CommercetoolsDataset, generateDataset } from '../../sandbox/commercetools/generator';
import { commercetoolsRequest, startSandbox } from '../support/sandbox-process';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const SIZES = { categories: 20, products: 40, customers: 60, orders: 200 };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const E164 = /^\+[1-9]\d{6,14}$/;

describe('determinism', () => {
  test('the same seed and reference time give the same data', () => {
    expect(generateDataset({ seed: 42, now: NOW, ...SIZES })).toEqual(
      generateDataset({ seed: 42, now: NOW, ...SIZES }),
    );
  });

  test('a different seed gives different data', () => {
    const first = generateDataset({ seed: 42, now: NOW, ...SIZES });
    const second = generateDataset({ seed: 43, now: NOW, ...SIZES });
    expect(second.orders.map((o) => o.id)).not.toEqual(first.orders.map((o) => o.id));
    expect(second.customers.map((c) => c.email)).not.toEqual(first.customers.map((c) => c.email));
  });
});

describe('coverage', () => {
  const data: CommercetoolsDataset = generateDataset({ seed: 'coverage', now: NOW, ...SIZES });
  const allAddresses = (customers: Customer[]) => customers.flatMap((customer) => customer.addresses);
  const allPrices = data.products
    .flatMap((p) => [p.masterData.current.masterVariant, ...p.masterData.current.variants])
    .flatMap((v) => v.prices ?? []);

  test('sizes and id shapes', () => {
    expect(data.categories).toHaveLength(SIZES.categories);
    expect(data.products).toHaveLength(SIZES.products);
    expect(data.customers).toHaveLength(SIZES.customers);
    expect(data.orders).toHaveLength(SIZES.orders);
    const ids = [...data.categories, ...data.products, ...data.customers, ...data.orders, ...data.payments].map(
      (r) => r.id,
    );
    expect(ids.every((id) => UUID_V4.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('customers: addresses, default billing, phone numbers, names, company, custom fields', () => {
    const addressCounts = new Set(data.customers.map((c) => Math.min(c.addresses.length, 2)));
    expect([...addressCounts].sort()).toEqual([0, 1, 2]);
    expect(data.customers.some((c) => c.defaultBillingAddressId !== undefined)).toBe(true);
    expect(data.customers.some((c) => c.addresses.length > 0 && c.defaultBillingAddressId === undefined)).toBe(true);
    for (const customer of data.customers) {
      const addressIds = customer.addresses.map((a) => a.id);
      expect(addressIds).toEqual(expect.arrayContaining(customer.billingAddressIds));
      if (customer.defaultBillingAddressId) expect(addressIds).toContain(customer.defaultBillingAddressId);
    }
    expect(data.customers.some((c) => c.billingAddressIds.length > 0)).toBe(true);
    const addresses = allAddresses(data.customers);
    for (const field of ['phone', 'mobile'] as const) {
      const values = addresses.map((a: Address) => a[field]);
      expect(values.some((v) => v !== undefined && E164.test(v))).toBe(true);
      expect(values.some((v) => v !== undefined && !E164.test(v))).toBe(true);
      expect(values.some((v) => v === undefined)).toBe(true);
    }
    expect(data.customers.some((c) => c.companyName)).toBe(true);
    expect(data.customers.some((c) => c.title)).toBe(true);
    expect(data.customers.some((c) => c.firstName && c.lastName)).toBe(true);
    expect(data.customers.some((c) => !c.firstName)).toBe(true);
    const customerType = data.types.find((t) => t.resourceTypeIds.includes('customer'))!;
    const withCustom = data.customers.filter((c) => c.custom);
    expect(withCustom.length).toBeGreaterThan(0);
    expect(withCustom.every((c) => c.custom!.type.id === customerType.id)).toBe(true);
    expect(data.customers.some((c) => !c.custom)).toBe(true);
  });

  test('categories: a tree at least three levels deep, ancestors and parents consistent, names in en and de or only en', () => {
    const byId = new Map(data.categories.map((c) => [c.id, c]));
    expect(Math.max(...data.categories.map((c) => c.ancestors.length))).toBeGreaterThanOrEqual(2);
    for (const category of data.categories) {
      const expected = [];
      for (
        let parent = category.parent && byId.get(category.parent.id);
        parent;
        parent = parent.parent && byId.get(parent.parent.id)
      ) {
        expected.unshift(parent.id);
      }
      expect(category.ancestors.map((a) => a.id)).toEqual(expected);
      expect(Object.keys(category.slug)).toEqual(Object.keys(category.name));
    }
    expect(data.categories.some((c) => c.name.de !== undefined)).toBe(true);
    expect(data.categories.some((c) => c.name.de === undefined)).toBe(true);
  });

  test('products: published or not, variants, unique SKUs, localized texts', () => {
    const current = data.products.map((p) => p.masterData.current);
    expect(data.products.some((p) => p.masterData.published)).toBe(true);
    expect(data.products.some((p) => !p.masterData.published)).toBe(true);
    expect(current.some((d) => d.variants.length === 0)).toBe(true);
    expect(current.some((d) => d.variants.length > 0)).toBe(true);
    const skus = current.flatMap((d) => [d.masterVariant, ...d.variants]).map((v) => v.sku);
    expect(new Set(skus).size).toBe(skus.length);
    expect(current.some((d) => d.name.de && d.slug.de && d.description?.de)).toBe(true);
    expect(current.some((d) => !d.name.de)).toBe(true);
    const productTypeIds = new Set(data.productTypes.map((t) => t.id));
    expect(data.products.every((p) => productTypeIds.has(p.productType.id))).toBe(true);
    const categoryIds = new Set(data.categories.map((c) => c.id));
    expect(current.every((d) => d.categories.every((c) => categoryIds.has(c.id)))).toBe(true);
  });

  test('prices: currencies, countries, customer groups, validity before, around and after now', () => {
    const now = NOW.toISOString();
    expect(new Set(allPrices.map((p) => p.value.currencyCode)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(allPrices.map((p) => p.value.fractionDigits))).toEqual(new Set([0, 2]));
    expect(new Set(allPrices.map((p) => p.country).filter(Boolean)).size).toBeGreaterThanOrEqual(2);
    expect(allPrices.some((p) => p.customerGroup)).toBe(true);
    expect(allPrices.some((p) => !p.customerGroup)).toBe(true);
    const window = (p: Price) => p.validFrom !== undefined && p.validUntil !== undefined;
    expect(allPrices.some((p) => window(p) && p.validUntil! < now)).toBe(true);
    expect(allPrices.some((p) => window(p) && p.validFrom! <= now && now < p.validUntil!)).toBe(true);
    expect(allPrices.some((p) => window(p) && p.validFrom! > now)).toBe(true);
    expect(data.products.some((p) => (p.masterData.current.masterVariant.prices ?? []).length === 0)).toBe(true);
  });

  test('images and availability: with and without, channels or not', () => {
    const variants = data.products.flatMap((p) => [
      p.masterData.current.masterVariant,
      ...p.masterData.current.variants,
    ]);
    expect(variants.some((v) => (v.images ?? []).length > 0)).toBe(true);
    expect(
      data.products.some((p) =>
        [p.masterData.current.masterVariant, ...p.masterData.current.variants].every(
          (v) => (v.images ?? []).length === 0,
        ),
      ),
    ).toBe(true);
    const channelIds = new Set(data.channels.map((c) => c.id));
    const withChannels = variants.filter((v) => v.availability?.channels);
    expect(withChannels.length).toBeGreaterThan(0);
    expect(withChannels.every((v) => Object.keys(v.availability!.channels!).every((id) => channelIds.has(id)))).toBe(
      true,
    );
    expect(variants.some((v) => v.availability && !v.availability.channels)).toBe(true);
    expect(variants.some((v) => !v.availability)).toBe(true);
  });

  test('orders: line items of generated products, custom line items, states, buyers, addresses, totals, dates', () => {
    const products = new Map(data.products.map((p) => [p.id, p]));
    const customers = new Map(data.customers.map((c) => [c.id, c]));
    for (const order of data.orders) {
      for (const item of order.lineItems) {
        const product = products.get(item.productId)!;
        const variants = [product.masterData.current.masterVariant, ...product.masterData.current.variants];
        expect(variants.find((v) => v.id === item.variant.id)?.sku).toBe(item.variant.sku);
        expect(item.name).toEqual(product.masterData.current.name);
        expect(item.totalPrice.centAmount).toBe(item.price.value.centAmount * item.quantity);
        expect(item.price.value.currencyCode).toBe(order.totalPrice.currencyCode);
      }
      const itemsTotal = [...order.lineItems, ...order.customLineItems].reduce(
        (sum, item) => sum + item.totalPrice.centAmount,
        0,
      );
      expect(order.totalPrice.centAmount).toBe(itemsTotal);
      expect(order.totalPrice.fractionDigits).toBe(2);
      if (order.customerId) expect(order.customerEmail).toBe(customers.get(order.customerId)!.email);
      expect(order.createdAt < NOW.toISOString()).toBe(true);
    }
    expect(new Set(data.orders.map((o) => o.orderState))).toEqual(
      new Set(['Open', 'Confirmed', 'Complete', 'Cancelled']),
    );
    expect(data.orders.some((o) => o.customLineItems.length > 0)).toBe(true);
    expect(data.orders.some((o) => o.customerId && o.customerEmail)).toBe(true);
    expect(data.orders.some((o) => !o.customerId && o.customerEmail)).toBe(true);
    expect(data.orders.some((o) => !o.customerId && !o.customerEmail)).toBe(true);
    expect(data.orders.some((o) => o.billingAddress && o.shippingAddress)).toBe(true);
    expect(data.orders.some((o) => !o.billingAddress)).toBe(true);
    expect(data.orders.some((o) => o.custom?.fields.salesChannel)).toBe(true);
    expect(new Set(data.orders.map((o) => o.createdAt.slice(0, 4))).size).toBeGreaterThanOrEqual(3);
    expect(new Set(data.orders.map((o) => o.totalPrice.currencyCode)).size).toBeGreaterThanOrEqual(3);
  });

  test('payments: charges, refunds that succeeded, are pending or failed, partial and full, several per order', () => {
    const payments = new Map(data.payments.map((payment) => [payment.id, payment]));
    const paymentsOf = (order: Order) =>
      (order.paymentInfo?.payments ?? []).map((reference) => payments.get(reference.id)!);
    const refunds = (order: Order, state: TransactionState) =>
      paymentsOf(order)
        .flatMap((payment) => payment.transactions)
        .filter((t) => t.type === 'Refund' && t.state === state);
    const referenced = data.orders.flatMap((order) => paymentsOf(order));
    // Every payment belongs to exactly one order, which refers to it by id.
    expect(referenced.every(Boolean)).toBe(true);
    expect(new Set(referenced).size).toBe(data.payments.length);
    for (const order of data.orders) {
      for (const payment of paymentsOf(order)) {
        for (const t of payment.transactions) {
          expect(t.amount.currencyCode).toBe(order.totalPrice.currencyCode);
          expect(t.amount.centAmount).toBeLessThanOrEqual(payment.amountPlanned.centAmount);
          expect(t.timestamp! >= order.createdAt && t.timestamp! < NOW.toISOString()).toBe(true);
        }
      }
      const charged = paymentsOf(order).reduce((sum, payment) => sum + payment.amountPlanned.centAmount, 0);
      if (order.paymentInfo) expect(charged).toBe(order.totalPrice.centAmount);
      const refunded = refunds(order, 'Success').reduce((sum, t) => sum + t.amount.centAmount, 0);
      expect(refunded).toBeLessThanOrEqual(order.totalPrice.centAmount);
    }
    const successful = (order: Order) => refunds(order, 'Success');
    const refundedTotal = (order: Order) => successful(order).reduce((sum, t) => sum + t.amount.centAmount, 0);
    expect(data.orders.some((o) => !o.paymentInfo)).toBe(true);
    expect(
      data.orders.some(
        (o) => o.paymentInfo && paymentsOf(o).every((p) => p.transactions.every((t) => t.type === 'Charge')),
      ),
    ).toBe(true);
    expect(data.orders.some((o) => successful(o).length === 0 && refunds(o, 'Pending').length > 0)).toBe(true);
    expect(data.orders.some((o) => successful(o).length === 0 && refunds(o, 'Failure').length > 0)).toBe(true);
    expect(data.orders.some((o) => successful(o).length > 0 && refundedTotal(o) < o.totalPrice.centAmount)).toBe(true);
    expect(data.orders.some((o) => refundedTotal(o) === o.totalPrice.centAmount)).toBe(true);
    expect(
      data.orders.some(
        (o) =>
          paymentsOf(o).length > 1 &&
          paymentsOf(o).every((p) => p.transactions.some((t) => t.type === 'Refund' && t.state === 'Success')),
      ),
    ).toBe(true);
    expect(
      data.orders.some((o) =>
        paymentsOf(o).some(
          (p) => p.transactions.filter((t) => t.type === 'Refund' && t.state === 'Success').length > 1,
        ),
      ),
    ).toBe(true);
    expect(
      data.orders.some(
        (o) => successful(o).length > 0 && (refunds(o, 'Pending').length > 0 || refunds(o, 'Failure').length > 0),
      ),
    ).toBe(true);
  });
});

describe('seeding volume', () => {
  test('seeds 100,000 orders through the control API and pages them by keyset', async () => {
    const sandbox = await startSandbox({ withoutKlaviyo: true });
    try {
      const response = await fetch(`${sandbox.ctApiUrl}/__sandbox/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seed: 'volume', categories: 50, products: 1000, customers: 10_000, orders: 100_000 }),
      });
      const seeded = (await response.json()) as { loaded: Record<string, number>; durationMs: number };
      expect(seeded.loaded).toMatchObject({ categories: 50, products: 1000, customers: 10_000, orders: 100_000 });

      // First page builds the sorted index; the following ones are what a long import sees.
      const timings: number[] = [];
      let lastId = '';
      for (let page = 0; page < 6; page++) {
        const started = performance.now();
        const params = new URLSearchParams({ sort: 'id asc', limit: '500', withTotal: 'false' });
        if (lastId) params.set('where', `id > "${lastId}"`);
        const { body } = await commercetoolsRequest<{ results: Array<{ id: string }> }>(
          sandbox,
          'GET',
          `/orders?${params.toString()}`,
        );
        timings.push(Math.round(performance.now() - started));
        expect(body.results).toHaveLength(500);
        expect(lastId === '' || body.results[0].id > lastId).toBe(true);
        lastId = body.results[499].id;
      }
      console.log(
        `seeded 100,000 orders (+10,000 customers, 1,000 products) in ${seeded.durationMs} ms; keyset pages of 500 orders took ${timings.join(', ')} ms (over HTTP, JSON parsed)`,
      );
    } finally {
      await sandbox.stop();
    }
  });
});
