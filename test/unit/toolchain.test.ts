import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('toolchain', () => {
  it('runs the tests on Node 22 or newer, as the service requires', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(22);
  });
});

describe('Node version files', () => {
  it.each(['.nvmrc', '.node-version'])('%s names the major of the pinned node devDependency', (file) => {
    const root = join(__dirname, '..', '..');
    const pinned = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    ).devDependencies.node;
    expect(readFileSync(join(root, file), 'utf8')).toBe(`${/\d+/.exec(pinned)![0]}\n`);
  });
});
