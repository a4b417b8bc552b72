import { klaviyoOperationLimits } from '../../../src/clients/klaviyo/operation-limits';
import { loadSpec } from '../../../sandbox/klaviyo-emulator/spec';
import { findSpecPath } from '../../../sandbox/klaviyo-emulator/spec-location';

describe("the client's table of Klaviyo rate limits", () => {
  const spec = loadSpec(findSpecPath())!;

  it.each(Object.entries(klaviyoOperationLimits))(
    '%s has the burst and steady limits the spec publishes',
    (operationId, limits) => {
      const operation = spec.operations.get(operationId);
      expect(operation).toBeDefined();
      expect(operation!.rateLimits).toEqual([
        { limit: limits.burstPerSecond, windowMs: 1_000 },
        { limit: limits.steadyPerMinute, windowMs: 60_000 },
      ]);
    },
  );
});
