import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findSpecPath, specCandidates } from '../../sandbox/klaviyo-emulator/spec-location';

/** A project directory whose .git/config names `originUrl` as its origin (none when undefined). */
function project(originUrl?: string): string {
  // In a fresh directory of its own, so that nothing already beside it (a /tmp/shared) is found.
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'spec-location-')), 'clone');
  mkdirSync(path.join(root, '.git'), { recursive: true });
  if (originUrl)
    writeFileSync(
      path.join(root, '.git', 'config'),
      `[core]\n\tbare = false\n[remote "origin"]\n\turl = ${originUrl}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`,
    );
  return root;
}

/** A directory holding shared/klaviyo-openapi/stable.json beside `checkout`; answers the spec's path. */
function specBeside(checkout: string): string {
  const spec = path.join(checkout, '..', 'shared', 'klaviyo-openapi', 'stable.json');
  mkdirSync(path.dirname(spec), { recursive: true });
  writeFileSync(spec, '{}');
  return spec;
}

describe('where the Klaviyo spec is looked for', () => {
  it('finds it beside the checkout a clean clone was made from', () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'workspace-'));
    const original = path.join(workspace, 'main');
    const spec = specBeside(original);
    for (const url of [original, `file://${original}`]) {
      const clone = project(url);
      expect(specCandidates({}, clone)).toEqual([
        path.resolve(clone, '..', 'shared', 'klaviyo-openapi', 'stable.json'),
        spec,
      ]);
      expect(findSpecPath({}, clone)).toBe(spec);
    }
  });

  it('prefers the spec beside the project, and ignores remotes that are not local paths', () => {
    const clone = project('https://github.com/example/ct-klaviyo-bulk-import.git');
    const spec = specBeside(clone);
    expect(specCandidates({}, clone)).toEqual([spec]);
    expect(findSpecPath({}, clone)).toBe(spec);
  });

  it('takes KLAVIYO_OPENAPI_SPEC first, even when it names a missing file, so a wrong value shows', () => {
    const clone = project();
    specBeside(clone);
    expect(findSpecPath({ KLAVIYO_OPENAPI_SPEC: '/nowhere/stable.json' }, clone)).toBe('/nowhere/stable.json');
  });
});
