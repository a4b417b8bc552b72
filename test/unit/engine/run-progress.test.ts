import { Writable } from 'node:stream';
import { RunProgress } from '../../../src/engine/run-progress';
import { createLogger } from '../../../src/logging/logger';

describe('RunProgress', () => {
  it('counts every failure and skip, keeps the latest 50 of each, and logs each failure with its id and reason', () => {
    const lines: string[] = [];
    const logger = createLogger(
      'debug',
      new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }),
    );
    const progress = new RunProgress({ read: 10, sent: 5, succeeded: 5, failed: 1, skipped: 0 }, logger);
    for (let index = 0; index < 60; index++) progress.failed(`c-${index}`, 'Klaviyo refused the profile');
    progress.skipped('o-1', 'order has neither customerEmail nor customerId');

    expect(progress.counters).toEqual({ read: 10, sent: 5, succeeded: 5, failed: 61, skipped: 1 });
    expect(progress.recentFailures).toHaveLength(50);
    expect(progress.recentFailures[0]).toEqual({ id: 'c-10', reason: 'Klaviyo refused the profile' });
    expect(progress.recentSkips).toEqual([{ id: 'o-1', reason: 'order has neither customerEmail nor customerId' }]);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((entry) => entry.message === 'Record failed')).toHaveLength(60);
    expect(logged[0]).toMatchObject({ severity: 'WARNING', id: 'c-0', reason: 'Klaviyo refused the profile' });
    expect(logged[60]).toMatchObject({ severity: 'DEBUG', id: 'o-1', message: 'Record skipped' });
  });

  it('keeps counts of uncommitted pages out of the committed counters, and commits counts of no page at once', () => {
    const progress = new RunProgress({ read: 10, sent: 10, succeeded: 4, failed: 0, skipped: 0 });
    const first = { counts: { read: 0, sent: 0, succeeded: 0, failed: 0, skipped: 0 } };
    const second = { counts: { read: 0, sent: 0, succeeded: 0, failed: 0, skipped: 0 } };
    progress.read(5, first);
    progress.read(5, second);
    // A request with three records of the first page and two of the second.
    progress.sent(5, [first, first, first, second, second]);
    progress.succeeded(6);

    expect(progress.counters).toEqual({ read: 20, sent: 15, succeeded: 10, failed: 0, skipped: 0 });
    expect(progress.committed).toEqual({ read: 10, sent: 10, succeeded: 10, failed: 0, skipped: 0 });
    progress.commit(first);
    expect(progress.committed).toEqual({ read: 15, sent: 13, succeeded: 10, failed: 0, skipped: 0 });
  });

  it('counts skips per reason, and folds reasons beyond the twentieth into one', () => {
    const progress = new RunProgress();
    for (let index = 0; index < 25; index++) progress.skipped(`r-${index}`, `reason ${index}`);
    progress.skipped('r-x', 'reason 0');

    expect(progress.skipsByReason.size).toBe(21);
    expect(progress.skipsByReason.get('reason 0')).toBe(2);
    expect(progress.skipsByReason.get('(other reasons)')).toBe(5);
  });
});
