import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { serviceEnvironment, serviceNodeFlags } from '../../src/runtime/memory-policy';

const projectRoot = path.resolve(__dirname, '..', '..');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `npm run start-ts`'s entry point (src/server.ts) as its own process, as a user would. */
export function spawnService(env: Record<string, string>): ServiceProcess {
  let output = '';
  // tsx as a loader, not its CLI: the CLI runs the script in a grandchild that a kill would orphan.
  const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
  const child = spawn(
    process.execPath,
    [...serviceNodeFlags, '--import', tsxLoader, path.join(projectRoot, 'src', 'server.ts')],
    {
      // Outside the project and with only PATH inherited, so a developer's .env or shell cannot change the outcome.
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...serviceEnvironment, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, url: `http://127.0.0.1:${env.BULK_IMPORT_PORT}`, output: () => output, exited };
}

/** Resolves once the service answers /healthz. */
export async function waitUntilListening(service: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${service.url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`service did not start:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
