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
 * Environment the service is started with (Dockerfile, npm scripts, Connect, benchmark, demo).
 * glibc's malloc raises its mmap threshold to the size of each large block freed, up to 32 MB, so
 * after the first commercetools page or job body is freed, later ones come from the main heap and
 * the pages they leave behind stay resident between small blocks still in use. A fixed threshold
 * of 32 KiB keeps every larger block (pages, bodies, the 64 KiB chunks read from sockets) in a
 * mapping of its own, returned to the system when it is freed. glibc reads it before any code
 * runs, so it cannot be set from inside; other C libraries ignore it. Customers × 100,000 peaked
 * about 35 MiB lower (docs/performance.md).
 */
export const serviceEnvironment: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '32768' };

/**
 * A full collection once the old generation has grown by 30% since the last one, rather than up to
 * fourfold. Most of the live heap is the service's code and libraries, so a doubling let a long
 * run hold that much again in garbage, which a short run never reached. V8 reads this flag at
 * every collection, so the service sets it itself, however it was started. Costs CPU, not speed:
 * about a fifth more for orders and products, whose pace Klaviyo's limits set (`npm run bench`).
 */
export function limitHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=30');
}
