import { CommitTracker } from '../../../src/engine/checkpoints';
import { RunProgress } from '../../../src/engine/run-progress';

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

describe('CommitTracker with page counts', () => {
  it('carries the counts of a page read into its ticket and commits them, in read order, with the page', () => {
    const committed: string[] = [];
    const progress = new RunProgress();
    const tracker = new CommitTracker(
      [{}],
      () => undefined,
      (page) => {
        committed.push(page.lastId);
        progress.commit(page);
      },
    );
    progress.read(3, tracker.beginPage(0));
    const first = tracker.openPage(0, 'a3', 3);
    progress.read(2, tracker.beginPage(0));
    const second = tracker.openPage(0, 'b2', 2);
    progress.sent(2, second);
    progress.skipped('b1', 'not published', second);
    tracker.settle(second);
    tracker.settle(second);
    expect(progress.committed).toEqual({ read: 0, sent: 0, succeeded: 0, failed: 0, skipped: 0 });

    progress.failed('a1', 'refused', first);
    for (let unit = 0; unit < 3; unit++) tracker.settle(first);
    expect(committed).toEqual(['a3', 'b2']);
    expect(progress.committed).toEqual({ read: 5, sent: 2, succeeded: 0, failed: 1, skipped: 1 });
    expect(progress.counters).toEqual(progress.committed);
  });
});
