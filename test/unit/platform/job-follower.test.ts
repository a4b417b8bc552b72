import { JobFollower } from '../../../src/platform/job-follower';

/** Jobs that finish after being asked about `pollsToFinish[jobId]` times; every status request is kept. */
function fakeJobs(pollsToFinish: Record<string, number>) {
  const asked: string[] = [];
  const status = async (jobId: string) => {
    asked.push(jobId);
    const polls = asked.filter((id) => id === jobId).length;
    if (pollsToFinish[jobId] === undefined) throw new Error(`unknown job ${jobId}`);
    return { jobId, done: polls >= pollsToFinish[jobId] };
  };
  return { status, asked };
}

const fast = { firstPollMs: 1, maxPollMs: 2, timeoutMs: 60_000 };

describe('JobFollower', () => {
  it('asks about the oldest job until it is finished before asking about the next', async () => {
    const jobs = fakeJobs({ a: 3, b: 1, c: 2 });
    const follower = new JobFollower(jobs.status, (status) => status.done, fast);
    const results = await Promise.all(['a', 'b', 'c'].map((id) => follower.follow(id)));
    expect(results.map((result) => result?.jobId)).toStrictEqual(['a', 'b', 'c']);
    expect(jobs.asked).toStrictEqual(['a', 'a', 'a', 'b', 'c', 'c']);
  });

  it('answers undefined for a job not finished by its deadline, and goes on with the next', async () => {
    const jobs = fakeJobs({ stuck: Number.POSITIVE_INFINITY, next: 1 });
    const follower = new JobFollower(jobs.status, (status) => status.done, { ...fast, timeoutMs: 20 });
    await expect(follower.follow('stuck')).resolves.toBeUndefined();
    await expect(follower.follow('next')).resolves.toMatchObject({ jobId: 'next' });
  });

  it('rejects a job whose status request fails, and one whose run stops, without holding up the others', async () => {
    const jobs = fakeJobs({ stuck: Number.POSITIVE_INFINITY, fine: 1 });
    const follower = new JobFollower(jobs.status, (status) => status.done, fast);
    const controller = new AbortController();
    const stopped = follower.follow('stuck', controller.signal);
    const unknown = follower.follow('unknown');
    const fine = follower.follow('fine');
    controller.abort(new Error('stopped'));
    await expect(stopped).rejects.toThrow('stopped');
    await expect(unknown).rejects.toThrow('unknown job unknown');
    await expect(fine).resolves.toMatchObject({ jobId: 'fine' });
  });
});
