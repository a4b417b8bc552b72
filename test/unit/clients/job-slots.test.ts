import { JobSlots } from '../../../src/clients/klaviyo/job-slots';

/** True when `count` slots are granted without waiting for a release. */
async function grantsAtOnce(slots: JobSlots, count: number): Promise<boolean> {
  let granted = 0;
  for (let n = 0; n < count; n++) void slots.acquire().then(() => granted++);
  await new Promise(setImmediate);
  return granted === count;
}

describe('JobSlots', () => {
  it('never lets more than its capacity hold a slot, and serves waiters in order', async () => {
    const slots = new JobSlots(2);
    const order: number[] = [];
    await slots.acquire();
    await slots.acquire();
    const third = slots.acquire().then(() => order.push(3));
    const fourth = slots.acquire().then(() => order.push(4));
    await new Promise(setImmediate);
    expect(order).toStrictEqual([]);
    slots.release();
    await third;
    expect(order).toStrictEqual([3]);
    slots.release();
    await fourth;
    expect(order).toStrictEqual([3, 4]);
    slots.release();
    slots.release();
    expect(await grantsAtOnce(slots, 2)).toBe(true);
  });

  it('lets a waiter give up when the run stops', async () => {
    const slots = new JobSlots(1);
    await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    slots.release();
    expect(await grantsAtOnce(slots, 1)).toBe(true);
  });
});
