import { CommitTracker } from '../../../src/engine/checkpoints';

describe('CommitTracker', () => {
  it('moves a range only past pages whose every unit is settled, in read order', () => {
    const advanced: string[] = [];
    const tracker = new CommitTracker([{}, { afterId: '8' }], (lastId) => advanced.push(lastId));
    const first = tracker.openPage(0, '1a', 2);
    const second = tracker.openPage(0, '3f', 1);
    tracker.settle(second);
    expect(tracker.positions()[0].afterId).toBeUndefined();
    tracker.settle(first);
    expect(tracker.positions()[0].afterId).toBeUndefined();
    tracker.settle(first);
    expect(tracker.positions()[0].afterId).toBe('3f');
    expect(advanced).toEqual(['3f']);
    expect(tracker.positions()[1]).toEqual({ afterId: '8' });
  });

  it('commits an empty page at once', () => {
    const tracker = new CommitTracker([{ beforeId: '8' }], () => undefined);
    tracker.openPage(0, '2b', 0);
    expect(tracker.positions()).toEqual([{ afterId: '2b', beforeId: '8' }]);
  });

  it('refuses to settle more units than a page holds', () => {
    const tracker = new CommitTracker([{}], () => undefined);
    const ticket = tracker.openPage(0, 'a', 1);
    tracker.settle(ticket);
    expect(() => tracker.settle(ticket)).toThrow('more records than it holds');
  });
});
