import { readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceEnvironment, serviceNodeFlags } from '../../../src/runtime/memory-policy';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
const scriptsOf = (file: string) => (JSON.parse(read(file)) as { scripts: Record<string, string> }).scripts;

/** A script line taken apart: the `NAME=value` assignments before it, and the node flags before its entry point. */
function launch(script: string, entryPoint: string): { environment: Record<string, string>; flags: string[] } {
  const words = script.split(/\s+/);
  const environment: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) {
    const [name, value] = words.shift()!.split('=');
    environment[name] = value;
  }
  if (words[0] === 'exec') words.shift();
  expect(words[0]).toBe('node');
  const at = words.indexOf(entryPoint);
  expect(at).toBeGreaterThan(0);
  return { environment, flags: words.slice(1, at) };
}

describe('service launch settings', () => {
  const scripts = scriptsOf('package.json');

  // start-ts replaces npm's shell with node (`exec`) and loads tsx into that same process, so that
  // signals reach the service itself.
  it.each([
    ['npm start', scripts.start, 'dist/server.js', []],
    ['npm run start-ts', scripts['start-ts'], 'src/server.ts', ['--import', 'tsx']],
    ['npm run start-job', scripts['start-job'], 'dist/job-server.js', []],
    ['npm run import', scripts.import, 'bin/ct-klaviyo-bulk-import.js', []],
    ['the Connect service', scriptsOf('service/package.json').start, '../dist/server.js', []],
    ['the Connect job', scriptsOf('job/package.json').start, '../dist/job-server.js', []],
  ])('%s starts with the flags and the environment', (_name, script, entryPoint, loader) => {
    expect(launch(script, entryPoint)).toEqual({
      environment: serviceEnvironment,
      flags: [...serviceNodeFlags, ...loader],
    });
  });

  it('the Docker image starts the service with them', () => {
    const dockerfile = read('Dockerfile');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    const words = JSON.parse(cmd!) as string[];
    expect(words.slice(1, words.indexOf('dist/server.js'))).toEqual(serviceNodeFlags);
    // The runtime stage (after the last FROM) sets each variable.
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    for (const [name, value] of Object.entries(serviceEnvironment))
      expect(runtimeStage).toMatch(new RegExp(`^ENV ${name}=${value}$`, 'm'));
  });
});
