import { readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceNodeFlags } from '../../../src/runtime/memory-policy';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');

/** The arguments before the entry point of a command line, e.g. `node --x=1 dist/server.js`. */
function flagsBefore(entryPoint: string, words: string[]): string[] {
  const at = words.indexOf(entryPoint);
  expect(at).toBeGreaterThan(0);
  return words.slice(1, at);
}

describe('service launch flags', () => {
  const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

  // start-ts replaces npm's shell with node (`exec`) and loads tsx into that same process, so that
  // signals reach the service itself.
  it.each([
    ['npm start', scripts.start, 'dist/server.js', []],
    ['npm run start-ts', scripts['start-ts'], 'src/server.ts', ['--import', 'tsx']],
  ])('%s starts the service with them', (_name, script, entryPoint, loader) => {
    expect(flagsBefore(entryPoint, script.replace(/^exec /, '').split(/\s+/))).toEqual([
      ...serviceNodeFlags,
      ...loader,
    ]);
  });

  it('the Docker image starts the service with them', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(cmd).toBeDefined();
    expect(flagsBefore('dist/server.js', JSON.parse(cmd!) as string[])).toEqual(serviceNodeFlags);
  });
});
