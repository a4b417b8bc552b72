import { PlatformError } from '../../../src/platform/platform-error';
import { requestBudget, sendSplittingRefusals } from '../../../src/engine/send-splitting-refusals';

const pointerOf = (index: number) => `/data/attributes/profiles/data/${index}/attributes/email`;
const indexOf = (pointer: string) => {
  const index = /\/data\/(\d+)\//.exec(pointer)?.[1];
  return index === undefined ? [] : [Number(index)];
};
const options = { recordIndexesOfPointer: indexOf, refusedWhat: 'Klaviyo refused the profile' };

/** A Klaviyo that refuses any request holding a bad record, naming them (or not); it keeps every request it got. */
function refusingKlaviyo(bad: Set<string>, namesRecords: boolean) {
  const requests: string[][] = [];
  const send = async (records: string[]) => {
    requests.push(records);
    const badIndexes = records.flatMap((record, index) => (bad.has(record) ? [index] : []));
    if (badIndexes.length === 0) return `job-${requests.length}`;
    const problems = namesRecords
      ? badIndexes.map((index) => ({ code: 'invalid', detail: 'not a valid email', pointer: pointerOf(index) }))
      : [{ code: 'invalid', detail: 'something in the request is invalid' }];
    throw new PlatformError('klaviyo', 'bulk_import_profiles', 400, 'invalid', undefined, problems);
  };
  return { send, requests };
}

const records = (count: number) => Array.from({ length: count }, (_, index) => `r${index}`);

describe('sendSplittingRefusals', () => {
  it('sends everything in one request when Klaviyo accepts it', async () => {
    const klaviyo = refusingKlaviyo(new Set(), true);
    const outcome = await sendSplittingRefusals(records(5), klaviyo.send, options);
    expect(outcome).toStrictEqual({ accepted: [{ records: records(5), result: 'job-1' }], refused: [] });
  });

  it('sets aside the records the pointers name, each with its reason, and sends the rest again once', async () => {
    const klaviyo = refusingKlaviyo(new Set(['r1', 'r3']), true);
    const outcome = await sendSplittingRefusals(records(5), klaviyo.send, options);
    expect(outcome.refused).toStrictEqual([
      { record: 'r1', reason: `Klaviyo refused the profile: invalid not a valid email at ${pointerOf(1)}` },
      { record: 'r3', reason: `Klaviyo refused the profile: invalid not a valid email at ${pointerOf(3)}` },
    ]);
    expect(outcome.accepted).toStrictEqual([{ records: ['r0', 'r2', 'r4'], result: 'job-2' }]);
    expect(klaviyo.requests).toHaveLength(2);
  });

  it('bisects a refusal that names no record down to the bad one, and every other record is sent', async () => {
    const klaviyo = refusingKlaviyo(new Set(['r6']), false);
    const outcome = await sendSplittingRefusals(records(16), klaviyo.send, options);
    expect(outcome.refused).toStrictEqual([
      { record: 'r6', reason: 'Klaviyo refused the profile: invalid something in the request is invalid' },
    ]);
    expect(outcome.accepted.flatMap((part) => part.records).sort()).toStrictEqual(
      records(16)
        .filter((record) => record !== 'r6')
        .sort(),
    );
    // One request for the whole, then two per level of halving: log2(16) levels.
    expect(klaviyo.requests.length).toBeLessThanOrEqual(1 + 2 * 4);
  });

  it('finds two bad records no refusal names within its budget of requests', async () => {
    const klaviyo = refusingKlaviyo(new Set(['r3', 'r900']), false);
    const outcome = await sendSplittingRefusals(records(1_000), klaviyo.send, options);
    expect(outcome.refused.map((refused) => refused.record).sort()).toStrictEqual(['r3', 'r900']);
    expect(outcome.accepted.flatMap((part) => part.records)).toHaveLength(998);
    expect(klaviyo.requests.length).toBeLessThanOrEqual(requestBudget(1_000));
  });

  it('stops after its budget of requests when Klaviyo refuses everything, failing the rest with the last refusal', async () => {
    const klaviyo = refusingKlaviyo(new Set(records(1_000)), false);
    const outcome = await sendSplittingRefusals(records(1_000), klaviyo.send, options);
    expect(klaviyo.requests).toHaveLength(requestBudget(1_000));
    expect(outcome.accepted).toStrictEqual([]);
    expect(outcome.refused).toHaveLength(1_000);
    const notSent = outcome.refused.filter((refused) => refused.reason.startsWith('not sent'));
    expect(notSent.length).toBeGreaterThan(900);
    expect(notSent[0].reason).toBe(
      `not sent: Klaviyo refused ${requestBudget(1_000)} requests of its batch, the last for invalid something in the request is invalid`,
    );
  });

  it('refuses a lone record even when the refusal names nothing, with the status when there is no problem', async () => {
    const send = async () => {
      throw new PlatformError('klaviyo', 'bulk_create_events', 413, 'HTTP 413');
    };
    const outcome = await sendSplittingRefusals(['big'], send, options);
    expect(outcome).toStrictEqual({
      accepted: [],
      refused: [{ record: 'big', reason: 'Klaviyo refused the profile: 413 HTTP 413' }],
    });
  });

  it('throws what is not a refusal (retries exhausted, a key without scope, a stop), sending nothing more', async () => {
    for (const error of [
      new PlatformError('klaviyo', 'bulk_import_profiles', 503, 'unavailable'),
      new PlatformError('klaviyo', 'bulk_import_profiles', 403, 'missing scope'),
      new DOMException('stopped', 'AbortError'),
    ]) {
      const send = jest.fn(async () => {
        throw error;
      });
      await expect(sendSplittingRefusals(records(4), send, options)).rejects.toBe(error);
      expect(send).toHaveBeenCalledTimes(1);
    }
  });

  it('sends nothing for no records', async () => {
    const send = jest.fn();
    expect(await sendSplittingRefusals([], send, options)).toStrictEqual({ accepted: [], refused: [] });
    expect(send).not.toHaveBeenCalled();
  });
});
