import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../sandbox/service-driver';
import { startSandbox, type RunningSandbox } from '../support/sandbox-process';
import { spawnService, waitUntilListening, type ServiceProcess } from '../support/service-process';
import { stringMatching } from '../support/matchers';

const projectRoot = path.resolve(__dirname, '..', '..');

function rejectAfter(ms: number, reason: () => string): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error(reason())), ms).unref());
}

describe('the service as its own process', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ customers: 10 });
  });
  afterAll(() => sandbox.stop());

  it('npm run start-ts passes SIGTERM on to the service, which shuts down and exits 0', async () => {
    const port = await freePort();
    let output = '';
    // Its own process group, so that cleanup can end npm and whatever it started, and nothing else.
    const npm = spawn('npm', ['run', 'start-ts'], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...sandbox.env,
        BULK_IMPORT_PORT: String(port),
        BULK_IMPORT_API_KEY: 'process-test-key',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // 'close' waits for every process holding the output pipes, so the service's last lines are in.
    const closed = new Promise<number | null>((resolve) => npm.once('close', (code) => resolve(code)));
    try {
      await waitUntilListening(
        { child: npm, url: `http://127.0.0.1:${port}`, output: () => output, exited: closed } satisfies ServiceProcess,
        60_000,
      );
      npm.kill('SIGTERM');
      const code = await Promise.race([
        closed,
        rejectAfter(30_000, () => `still running 30 s after SIGTERM:\n${output}`),
      ]);
      expect(output).toContain('Shutting down: stopping imports and saving checkpoints');
      expect(code).toBe(0);
      // The service is gone, not orphaned behind npm.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // The group has ended: nothing left to stop.
      }
    }
  });

  it('refuses to start with a wrong configuration: exit 1, one JSON log line at ERROR naming each variable, no secret', async () => {
    const service = spawnService({
      ...sandbox.env,
      BULK_IMPORT_PORT: 'abc',
      CT_API_URL: 'ftp://commercetools.example',
      CT_API_CLIENT: '["pk_secret_in_the_wrong_place"]',
      BULK_IMPORT_LOCK_TTL_SECONDS: '0.001',
    });
    expect(await service.exited).toBe(1);
    const lines = service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]) as { severity: string; message: string; problems: string[] };
    expect(entry.severity).toBe('ERROR');
    expect(entry.message).toMatch(/^Invalid configuration \(4 problems\)/);
    expect(entry.problems).toEqual(
      expect.arrayContaining([
        stringMatching(/^BULK_IMPORT_PORT: must be a whole number/),
        stringMatching(/^CT_API_URL: must be an https:\/\/ \(or http:\/\/\) URL/),
        stringMatching(/^CT_API_CLIENT: must be a JSON object .*, not an array$/),
        stringMatching(/^BULK_IMPORT_LOCK_TTL_SECONDS: must be a number of seconds, at least 10$/),
      ]),
    );
    expect(service.output()).not.toContain('pk_secret_in_the_wrong_place');
  });
});
