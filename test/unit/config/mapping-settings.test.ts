import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappingSettings } from '../../../src/config/mapping-settings';

function settingsFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'settings-')), 'settings.json');
  writeFileSync(path, content);
  return path;
}

describe('loadMappingSettings', () => {
  it("defaults to the original module's metric names and order states", () => {
    const settings = loadMappingSettings(undefined);
    expect(settings.metrics).toEqual({
      placedOrder: 'Placed Order',
      orderedProduct: 'Ordered Product',
      fulfilledOrder: 'Fulfilled Order',
      cancelledOrder: 'Cancelled Order',
      refundedOrder: 'Refunded Order',
    });
    expect(settings.orderStates).toEqual({ fulfilled: ['Confirmed', 'Complete'], cancelled: ['Cancelled'] });
    expect(settings.deduplicateProfilesByEmail).toBe(false);
    expect(settings.backfillEvents).toBe(true);
  });

  it('merges a partial file over the defaults', () => {
    const settings = loadMappingSettings(
      settingsFile(
        '{"metrics":{"placedOrder":"Order Placed"},"orderFields":{"exclude":["lineItems"]},"backfillEvents":false}',
      ),
    );
    expect(settings.metrics.placedOrder).toBe('Order Placed');
    expect(settings.metrics.orderedProduct).toBe('Ordered Product');
    expect(settings.orderFields).toEqual({ include: [], exclude: ['lineItems'], rename: {} });
    expect(settings.backfillEvents).toBe(false);
  });

  it.each([
    ['{"metrics":{"placedOrder":""}}', 'metrics.placedOrder'],
    ['{"orderStates":{"fulfilled":"Complete"}}', 'orderStates.fulfilled'],
    ['{"dedupe":true}', 'dedupe'],
    ['not json', 'settings.json'],
  ])('names the bad field of %s', (content, field) => {
    expect(() => loadMappingSettings(settingsFile(content))).toThrow(field);
  });
});
