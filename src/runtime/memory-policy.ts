import v8 from 'node:v8';

/*
 * How V8 may use memory in this service. Its defaults favour speed on a machine with memory to
 * spare: with gigabytes free, V8 lets the old generation fill to four times the live data before a
 * full collection, and the young generation grow to 2 × 64 MB. An import's live data stays flat
 * (bounded pages and backlogs), yet with those defaults the service's resident memory kept
 * climbing for as long as a run lasted: 358 MiB importing 5,000 products, 452 MiB importing
 * 50,000, while the live heap after each full collection stayed between 75 and 86 MB.
 */

/**
 * Node flags the service is started with (Dockerfile, npm scripts, benchmark, demo). V8 sizes the
 * young generation once, when the process starts, so this cannot be set from inside. 2 × 4 MB
 * rather than 8: orders × 100,000 peaked 16 MiB lower at the same speed and CPU.
 */
export const serviceNodeFlags: readonly string[] = ['--max-semi-space-size=4'];

/**
 * A full collection once the old generation has doubled since the last one, rather than grown
 * up to fourfold. V8 reads this flag at every collection, so the service sets it itself, however
 * it was started. Costs about a fifth more CPU in a products run (measured with `npm run bench`).
 */
export function limitHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=100');
}
