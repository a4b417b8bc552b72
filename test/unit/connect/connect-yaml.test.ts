import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../../../src/config/env';
import { parse } from 'yaml';

const root = path.join(__dirname, '../../..');

/**
 * connect.yaml as the Connect documentation describes it (and as the official CLI's parser checks
 * it): names and keys in their character sets, keys that Connect reserves refused, a job with a
 * five-field cron schedule, descriptions on every key, defaults only on standard keys.
 */
const reservedKeys = /^(port|k_service|k_revision|k_configuration)$/i;
const key = z
  .string()
  .regex(/^[a-zA-Z0-9_]{2,256}$/)
  .refine((value) => !reservedKeys.test(value), 'is reserved by Connect');
const description = z.string().trim().min(1);
const configuration = z.strictObject({
  standardConfiguration: z
    .array(
      z.strictObject({ key, description, required: z.boolean().optional(), default: z.string().min(1).optional() }),
    )
    .optional(),
  securedConfiguration: z.array(z.strictObject({ key, description, required: z.boolean().optional() })).optional(),
});
const endpoint = z
  .string()
  .regex(/^\/[a-zA-Z0-9_\-/]{0,255}$/)
  .refine((value) => !value.includes('//'), 'has a double slash');
const common = {
  name: z.string().regex(/^[a-zA-Z0-9_-]{2,256}$/),
  endpoint,
  configuration: configuration.optional(),
  scripts: z.strictObject({ postDeploy: description.optional(), preUndeploy: description.optional() }).optional(),
};
const cronField = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const application = z.discriminatedUnion('applicationType', [
  z.strictObject({
    ...common,
    applicationType: z.literal('service'),
    healthCheck: z.strictObject({ path: endpoint }).optional(),
  }),
  z.strictObject({
    ...common,
    applicationType: z.literal('job'),
    properties: z.strictObject({
      schedule: z.string().refine((cron) => {
        const fields = cron.trim().split(/\s+/);
        return fields.length === 5 && fields.every((field) => cronField.test(field));
      }, 'must be a cron expression of five fields'),
    }),
  }),
]);
const connectYaml = z.strictObject({
  inheritAs: z.strictObject({ configuration }).optional(),
  deployAs: z.array(application).min(1),
});
type ConnectYaml = z.infer<typeof connectYaml>;

function allKeys(spec: ConnectYaml) {
  const sections = [spec.inheritAs?.configuration, ...spec.deployAs.map((app) => app.configuration)];
  return sections.flatMap((section) => [
    ...(section?.standardConfiguration ?? []).map((entry) => ({ ...entry, secured: false })),
    ...(section?.securedConfiguration ?? []).map((entry) => ({ ...entry, secured: true, default: undefined })),
  ]);
}

describe('connect.yaml', () => {
  const spec = connectYaml.parse(parse(readFileSync(path.join(root, 'connect.yaml'), 'utf8')));

  it('deploys the HTTP API as a service and the scheduled import as a job', () => {
    expect(spec.deployAs.map((app) => [app.name, app.applicationType, app.endpoint])).toEqual([
      ['service', 'service', '/sync'],
      ['job', 'job', '/job'],
    ]);
  });

  it('names each key once, across the shared and the per-application configuration', () => {
    const keys = allKeys(spec).map((entry) => entry.key);
    expect(keys.filter((value, index) => keys.indexOf(value) !== index)).toEqual([]);
  });

  it('keeps the credentials in securedConfiguration', () => {
    const secured = allKeys(spec)
      .filter((entry) => entry.secured)
      .map((entry) => entry.key);
    expect(secured.sort()).toEqual(['BULK_IMPORT_API_KEY', 'CT_API_CLIENT', 'KLAVIYO_AUTH_KEY']);
  });

  it('configures the application with its required keys and the defaults it declares', () => {
    const env = Object.fromEntries(
      allKeys(spec).flatMap((entry) => {
        if (entry.default !== undefined) return [[entry.key, entry.default]];
        if (!entry.required) return [];
        return [[entry.key, entry.key === 'CT_API_CLIENT' ? '{"clientId":"id","secret":"secret"}' : 'https://x.test']];
      }),
    );
    const config = loadConfig(env);
    expect(config.autoResume).toBe(true);
    expect(config.jobSliceDeadlineMs).toBe(25 * 60 * 1000);
  });

  it('uses only variables the configuration reads', () => {
    const envSource = readFileSync(path.join(root, 'src/config/env.ts'), 'utf8');
    for (const { key: name } of allKeys(spec)) expect(envSource).toContain(`  ${name}: `);
  });

  it.each([
    ['service', 'server'],
    ['job', 'job-server'],
  ])('has a %s folder whose package.json builds the project and starts %s', (folder, entry) => {
    const manifest = JSON.parse(readFileSync(path.join(root, folder, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies).toEqual({ 'ct-klaviyo-bulk-import': 'file:..' });
    expect(manifest.scripts.build).toContain('npm --prefix .. run build');
    expect(manifest.scripts.start).toContain(`../dist/${entry}.js`);
    expect(existsSync(path.join(root, 'src', `${entry}.ts`))).toBe(true);
  });
});
