import { loadSpec } from '../../sandbox/klaviyo-emulator/spec';
import { findSpecPath, specCandidates } from '../../sandbox/klaviyo-emulator/spec-location';

/**
 * jest globalSetup: the tests check every Klaviyo request against the official spec, and without it
 * the emulator would accept anything and dozens of tests would fail for no visible reason.
 */
export default function requireKlaviyoSpec(): void {
  if (loadSpec(findSpecPath())) return;
  throw new Error(
    `Klaviyo's OpenAPI spec was not found at ${specCandidates().join(' or ')}. ` +
      'Put it at ../shared/klaviyo-openapi/stable.json beside the project, or set KLAVIYO_OPENAPI_SPEC to its path.',
  );
}
