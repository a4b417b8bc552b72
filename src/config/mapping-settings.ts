import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Which fields of a record become Klaviyo properties, and under which names. */
const fieldFilterSchema = z
  .object({
    /** When not empty, only these fields are kept. */
    include: z.array(z.string()).default([]),
    /** These fields are dropped. */
    exclude: z.array(z.string()).default([]),
    /** Field name → property name in Klaviyo. */
    rename: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export type FieldFilter = z.infer<typeof fieldFilterSchema>;

const emptyFilter = (): FieldFilter => ({ include: [], exclude: [], rename: {} });

/** Defaults are the original module's behaviour. */
const mappingSettingsSchema = z
  .object({
    metrics: z
      .object({
        placedOrder: z.string().min(1).default('Placed Order'),
        orderedProduct: z.string().min(1).default('Ordered Product'),
        fulfilledOrder: z.string().min(1).default('Fulfilled Order'),
        cancelledOrder: z.string().min(1).default('Cancelled Order'),
        refundedOrder: z.string().min(1).default('Refunded Order'),
      })
      .strict()
      .prefault({}),
    orderStates: z
      .object({
        fulfilled: z.array(z.string()).default(['Confirmed', 'Complete']),
        cancelled: z.array(z.string()).default(['Cancelled']),
      })
      .strict()
      .prefault({}),
    orderFields: fieldFilterSchema.default(emptyFilter),
    orderCustomFields: fieldFilterSchema.default(emptyFilter),
    customerCustomFields: fieldFilterSchema.default(emptyFilter),
    /** Update the Klaviyo profile that already has a customer's email instead of creating another. */
    deduplicateProfilesByEmail: z.boolean().default(false),
    /** Send historical events with `backfill: true` so Klaviyo does not re-fire flows for them. */
    backfillEvents: z.boolean().default(true),
  })
  .strict();

export type MappingSettings = z.infer<typeof mappingSettingsSchema>;

export const defaultMappingSettings = (): MappingSettings => mappingSettingsSchema.parse({});

/** Reads and checks the optional settings file; errors name the file and the field. */
export function loadMappingSettings(path: string | undefined): MappingSettings {
  if (!path) return defaultMappingSettings();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`MAPPING_SETTINGS_FILE ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = mappingSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`MAPPING_SETTINGS_FILE ${path}: ${problems.join('; ')}`);
  }
  return parsed.data;
}
