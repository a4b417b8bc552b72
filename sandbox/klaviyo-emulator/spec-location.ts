import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(__dirname, '..', '..');
const SPEC_BESIDE = join('shared', 'klaviyo-openapi', 'stable.json');

/**
 * Where Klaviyo's OpenAPI spec is looked for, in order: KLAVIYO_OPENAPI_SPEC; beside the project
 * (`<project>/../shared/klaviyo-openapi/stable.json`); beside the checkout this project was cloned
 * from, when it is a clone of a local directory (a clean clone in a temporary directory, as CI
 * makes, has no `../shared` of its own). The spec is never copied into the project.
 */
export function specCandidates(env: NodeJS.ProcessEnv = process.env, projectRoot = PROJECT_ROOT): string[] {
  const candidates = [resolve(projectRoot, '..', SPEC_BESIDE)];
  const origin = localOrigin(projectRoot);
  if (origin) candidates.push(resolve(origin, '..', SPEC_BESIDE));
  return env.KLAVIYO_OPENAPI_SPEC ? [env.KLAVIYO_OPENAPI_SPEC, ...candidates] : candidates;
}

/** The first candidate that exists; KLAVIYO_OPENAPI_SPEC when set, even if missing, so a wrong value shows. */
export function findSpecPath(env: NodeJS.ProcessEnv = process.env, projectRoot = PROJECT_ROOT): string {
  const candidates = specCandidates(env, projectRoot);
  if (env.KLAVIYO_OPENAPI_SPEC) return candidates[0];
  return candidates.find((path) => existsSync(path)) ?? candidates[0];
}

/** The `origin` remote of the project's git checkout when it is a local path (`/work/main`, `file:///work/main`). */
function localOrigin(projectRoot: string): string | undefined {
  let gitConfig: string;
  try {
    gitConfig = readFileSync(join(projectRoot, '.git', 'config'), 'utf8');
  } catch {
    return undefined;
  }
  const url = /\[remote "origin"\][^[]*?^\s*url\s*=\s*(.+?)\s*$/m.exec(gitConfig)?.[1];
  if (!url) return undefined;
  if (url.startsWith('file://')) return fileURLToPath(url);
  return isAbsolute(url) ? url : undefined;
}
