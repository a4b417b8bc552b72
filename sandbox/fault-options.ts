/** The fault settings both sandboxes take alike, checked the same way. */
import { z } from 'zod';

/** A share of requests, 0 to 1. */
export const share = z.number().min(0).max(1);
export const milliseconds = z.number().int().min(0);
/** The statuses an injected server error is drawn from, equally often. */
export const serverErrorStatuses = z
  .array(z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]))
  .min(1);
