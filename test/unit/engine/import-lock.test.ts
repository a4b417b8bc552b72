import { ImportLocks, lockContainer, lockKeys, type LockValue } from '../../../src/engine/import-lock';
import { MemoryStore } from './memory-store';

const key = lockKeys.customers;
const ttlMs = 60_000;

function lockOf(store: MemoryStore): LockValue | undefined {
  return store.value<LockValue>(lockContainer, key);
}

function expiredLock(owner: string, runId: string): LockValue {
  return { owner, runId, startedAt: '2026-01-01T00:00:00.000Z', expiresAt: new Date(Date.now() - 1_000).toISOString() };
}

describe('ImportLocks', () => {
  it('lets one of two instances take a free lock and tells the other who holds it', async () => {
    const store = new MemoryStore();
    const first = await new ImportLocks(store, 'instance-a', ttlMs).acquire('customers', 'run-a');
    const second = await new ImportLocks(store, 'instance-b', ttlMs).acquire('customers', 'run-b');
    expect(first.acquired).toBe(true);
    expect(second).toMatchObject({
      acquired: false,
      holder: { kind: 'run', value: { owner: 'instance-a', runId: 'run-a' } },
    });
  });

  it('takes over an expired lock, and never the original module\'s "1"', async () => {
    const store = new MemoryStore();
    store.put(lockContainer, key, expiredLock('crashed', 'run-old'));
    const locks = new ImportLocks(store, 'instance-a', ttlMs);
    expect((await locks.acquire('customers', 'run-a')).acquired).toBe(true);
    expect(lockOf(store)).toMatchObject({ owner: 'instance-a', runId: 'run-a' });

    store.put(lockContainer, key, '1');
    expect(await locks.acquire('customers', 'run-b')).toMatchObject({ acquired: false, holder: { kind: 'legacy' } });
  });

  it('holds a lock whose create went through while its answer was lost', async () => {
    const store = new MemoryStore();
    store.loseNextAnswer(lockContainer);
    const acquired = await new ImportLocks(store, 'instance-a', ttlMs).acquire('customers', 'run-a');
    expect(acquired).toMatchObject({ acquired: true, lock: { value: { runId: 'run-a' } } });
  });

  it('keeps the lock when a heartbeat went through but its answer was lost', async () => {
    const store = new MemoryStore();
    const locks = new ImportLocks(store, 'instance-a', ttlMs);
    const acquired = await locks.acquire('customers', 'run-a');
    if (!acquired.acquired) throw new Error('not acquired');
    store.loseNextAnswer(lockContainer);
    expect(await locks.renew(acquired.lock)).toBe(true);
    expect(await locks.renew(acquired.lock)).toBe(true);
    expect(lockOf(store)).toEqual(acquired.lock.value);
  });

  it('loses the lock to another instance that created it anew after a delete, though the versions match', async () => {
    const store = new MemoryStore();
    const ours = new ImportLocks(store, 'instance-a', ttlMs);
    const acquired = await ours.acquire('customers', 'run-a');
    if (!acquired.acquired) throw new Error('not acquired');
    const versionBefore = store.objects.get(`${lockContainer}/${key}`)!.version;
    store.remove(lockContainer, key);
    expect((await new ImportLocks(store, 'instance-b', ttlMs).acquire('customers', 'run-b')).acquired).toBe(true);
    expect(store.objects.get(`${lockContainer}/${key}`)!.version).toBe(versionBefore);

    expect(await ours.renew(acquired.lock)).toBe(false);
    await ours.release('customers', 'run-a');
    expect(lockOf(store)).toMatchObject({ owner: 'instance-b', runId: 'run-b' });
  });

  it('takes its lock back when it was deleted and nobody else took it', async () => {
    const store = new MemoryStore();
    const locks = new ImportLocks(store, 'instance-a', ttlMs);
    const acquired = await locks.acquire('customers', 'run-a');
    if (!acquired.acquired) throw new Error('not acquired');
    store.remove(lockContainer, key);
    expect(await locks.renew(acquired.lock)).toBe(true);
    expect(lockOf(store)).toMatchObject({ owner: 'instance-a', runId: 'run-a' });
  });

  it('tells a run apart from another run of the same instance', async () => {
    const store = new MemoryStore();
    const locks = new ImportLocks(store, 'instance-a', ttlMs);
    const acquired = await locks.acquire('customers', 'run-a');
    if (!acquired.acquired) throw new Error('not acquired');
    store.put(lockContainer, key, { ...acquired.lock.value, runId: 'run-b' });
    expect(await locks.renew(acquired.lock)).toBe(false);
  });

  it('refuses to clear a live lock unless forced, and clears a stale or legacy one', async () => {
    const store = new MemoryStore();
    const locks = new ImportLocks(store, 'instance-a', ttlMs);
    await new ImportLocks(store, 'instance-b', ttlMs).acquire('customers', 'run-b');
    expect(await locks.clear('customers')).toMatchObject({ refused: { kind: 'run', value: { owner: 'instance-b' } } });
    expect(lockOf(store)).toMatchObject({ owner: 'instance-b', runId: 'run-b' });
    expect(await locks.clear('customers', { force: true })).toEqual({ cleared: true });
    expect(lockOf(store)).toBeUndefined();

    store.put(lockContainer, key, expiredLock('crashed', 'run-old'));
    expect(await locks.clear('customers')).toEqual({ cleared: true });
    store.put(lockContainer, key, '1');
    expect(await locks.clear('customers')).toEqual({ cleared: true });
    expect(await locks.clear('customers')).toEqual({ cleared: false });
  });
});
