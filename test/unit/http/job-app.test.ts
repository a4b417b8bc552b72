import request from 'supertest';
import { createJobApp } from '../../../src/http/job-app';
import { createLogger } from '../../../src/logging/logger';
import { scriptedEngine } from '../engine/scripted-engine';

const logger = createLogger('silent');

interface JobAnswerBody {
  completed: boolean;
  deadlineReached: boolean;
  message: string;
  imports: Array<{ type: string; state: string }>;
}

async function postJob(app: Parameters<typeof request>[0]): Promise<{ status: number; body: JobAnswerBody }> {
  const answer = await request(app).post('/job');
  const body: unknown = answer.body;
  return { status: answer.status, body: body as JobAnswerBody };
}

describe('POST /job', () => {
  it('answers 200 with each import of the slice once every import completed', async () => {
    const { engine } = scriptedEngine({});
    const app = createJobApp({ engine, logger, sliceDeadlineMs: 60_000, newRunBody: {} });
    const answer = await postJob(app);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ completed: true, deadlineReached: false });
    expect(answer.body.imports.map((entry) => [entry.type, entry.state])).toEqual([
      ['categories', 'completed'],
      ['products', 'completed'],
      ['customers', 'completed'],
      ['orders', 'completed'],
    ]);
  });

  it('answers 200 when the deadline paused the slice: the next call resumes', async () => {
    const { engine } = scriptedEngine({}, { holds: 'customers' });
    const app = createJobApp({ engine, logger, sliceDeadlineMs: 50, newRunBody: {} });
    const answer = await postJob(app);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ completed: false, deadlineReached: true });
    expect(answer.body.message).toMatch(
      /^the slice deadline was reached; the next call resumes: customers import stopped/,
    );
  });

  it('answers 503 with the reason when an import could not start', async () => {
    const { engine } = scriptedEngine({}, { refuses: 'products' });
    const app = createJobApp({ engine, logger, sliceDeadlineMs: 60_000, newRunBody: {} });
    const answer = await postJob(app);
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe('products import did not start: The products import is locked by another run');
  });

  it('refuses at creation a start body the HTTP API would refuse', () => {
    const { engine } = scriptedEngine({});
    expect(() => createJobApp({ engine, logger, sliceDeadlineMs: 60_000, newRunBody: { id: ['x'] } })).toThrow(
      'id: is not a known field',
    );
  });
});
