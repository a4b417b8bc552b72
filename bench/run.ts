/**
 * `npm run bench`: how fast each import runs, what it costs in requests and how its memory grows.
 * For every import type and size: a fresh sandbox seeded with that size, a fresh service process
 * (built JavaScript on this process's Node, so that /proc/<pid> measures the service itself),
 * the import started over HTTP as a user would, its status polled until it ends. Prints one
 * aligned table and one JSON document, which also goes to --out.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunStatus } from '../src/engine/run-status';
import { type ImportType, importTypes } from '../src/engine/run-types';
import { serviceNodeFlags } from '../src/runtime/memory-policy';
import {
  type CommercetoolsSandboxStats,
  type DatasetSizes,
  type KlaviyoEmulatorStats,
  PROJECT_ROOT,
  commercetoolsStats,
  runMain,
  settledKlaviyoStats,
  startImport,
  startSandbox,
  startService,
  stopAllChildren,
  stopChildrenOnSignals,
  waitForImport,
} from '../sandbox/service-driver';
import { cpuSeconds, residentMemoryMiB } from './process-metrics';

const USAGE = `Usage: npm run bench -- [options]

  --customers N,N        customer counts to run the customers import with (default 10000,100000)
  --orders N,N           order counts for the orders import (default 10000,100000)
  --products N,N         product counts for the products import (default 5000,50000)
  --categories N,N       category counts for the categories import (default 1000,5000)
  --only T,T             run only these imports (customers, orders, categories, products)
  --repeat N             run each import and size N times (default 1); the memory summary gives
                         each size's median peak RSS and the growth between sizes
  --rate-limit-speed F   Klaviyo rate limits: 1 = as Klaviyo (default), 0 = off
  --seed S               generator seed (default 1)
  --timeout-minutes M    stop a run that takes longer (default 30)
  --stall-minutes M      stop a run whose counters have not moved for M minutes (default 5)
  --logs DIR             write each service process's JSON log to DIR/<import>-<size>.log
  --trace-gc             run the service with node --trace-gc (with --logs, the heap after each GC
                         goes to the log: live memory as opposed to what the heap has reserved)
  --service-node-options="F F"  extra node options for the service process, e.g.
                         --service-node-options=--max-old-space-size=128 (with the =)
  --cpu-prof DIR         write V8 CPU profiles of each service and sandbox process to DIR (node --cpu-prof)
  --out FILE             where the JSON goes (default bench/results/<timestamp>.json)
  --help                 show this text`;

/** Where the service is compiled to; under node_modules so that its imports resolve. */
const BUILD_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'ct-klaviyo-bulk-import-bench');
const STATUS_POLL_MS = 500;

/**
 * The data set behind each import at size n. Orders need buyers and products to refer to;
 * products need categories. Those companions stay small so that the run measures the import.
 */
const DATASET: Record<ImportType, (n: number) => DatasetSizes> = {
  customers: (n) => ({ customers: n, orders: 0, categories: 0, products: 0 }),
  orders: (n) => ({ customers: Math.ceil(n / 4), orders: n, categories: 30, products: 200 }),
  products: (n) => ({ customers: 0, orders: 0, categories: 30, products: n }),
  categories: (n) => ({ customers: 0, orders: 0, categories: n, products: 0 }),
};

/**
 * Imports a run needs done first, as a user would (categories → products): a product whose
 * categories Klaviyo lacks is refused. They run unmeasured, before the counters are read.
 */
const PREREQUISITES: Record<ImportType, ImportType[]> = {
  customers: [],
  orders: [],
  products: ['categories'],
  categories: [],
};

/**
 * The throughput target of each import (what a merchant's history needs to import within minutes), in the Klaviyo records it is about (emulator
 * counts), per second of the run. An orders run also creates profiles and a products run items;
 * those are left out here.
 */
const TARGETS: Record<ImportType, { kind: keyof KlaviyoEmulatorStats['records']; unit: string; perSecond: number }> = {
  customers: { kind: 'profiles', unit: 'profiles', perSecond: 5_000 },
  orders: { kind: 'events', unit: 'events', perSecond: 2_000 },
  products: { kind: 'catalogVariants', unit: 'variants', perSecond: 1_000 },
  categories: { kind: 'catalogCategories', unit: 'categories', perSecond: 1_000 },
};

interface BenchResult {
  import: ImportType;
  size: number;
  dataset: DatasetSizes;
  /** completed | failed | stopped | interrupted | error */
  outcome: string;
  error?: string;
  /** The run's duration as the service measured it (start to finish). */
  seconds?: number;
  /** From the POST to the first status answer saying the run ended (±0.5 s polling). */
  wallSeconds?: number;
  counters?: RunStatus['counters'];
  recordsPerSecond?: number;
  klaviyoRecords?: Record<string, number>;
  klaviyoRecordsPerSecond?: number;
  /** The target's figure: the target kind's Klaviyo records per second, and the target. */
  target?: { unit: string; perSecond: number; goal: number; met: boolean };
  klaviyoRequestsPer1000: { total: number; byOperation: Record<string, number> } | undefined;
  commercetoolsRequestsPer1000:
    { total: number; byResource: Record<string, number>; statusPollsExcluded: number } | undefined;
  /** Status requests the benchmark made while waiting for the run to end. */
  statusPolls?: number;
  rateLimited?: number;
  rejected?: number;
  firstFailures?: RunStatus['recentFailures'];
  firstSkips?: RunStatus['recentSkips'];
  memoryMiB?: { idle: number; peak: number };
  /** The machine's 1-minute load average when the run started and when it ended: other work skews every figure. */
  loadAverage?: { start: number; end: number };
  /** CPU time spent during the run by the service and by the sandbox (both platforms' stand-ins). */
  cpuSeconds?: { service: number; sandbox: number };
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '10000,100000' },
      orders: { type: 'string', default: '10000,100000' },
      products: { type: 'string', default: '5000,50000' },
      categories: { type: 'string', default: '1000,5000' },
      only: { type: 'string', default: importTypes.join(',') },
      repeat: { type: 'string', default: '1' },
      'rate-limit-speed': { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      'timeout-minutes': { type: 'string', default: '30' },
      'stall-minutes': { type: 'string', default: '5' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      logs: { type: 'string' },
      'trace-gc': { type: 'boolean', default: false },
      'service-node-options': { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  const sizes = (type: ImportType) =>
    values[type].split(',').map((text) => {
      const size = Number(text);
      if (!Number.isInteger(size) || size <= 0)
        throw new Error(`--${type} takes positive integers separated by commas, got "${values[type]}"`);
      return size;
    });
  const only = values.only.split(',').map((name) => name.trim());
  const unknown = only.filter((name) => !(importTypes as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`--only: unknown import ${unknown.join(', ')}; use ${importTypes.join(', ')}`);
  const number = (name: 'rate-limit-speed' | 'timeout-minutes' | 'stall-minutes') => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`--${name} must be a non-negative number, got "${values[name]}"`);
    return value;
  };
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat <= 0)
    throw new Error(`--repeat takes a positive integer, got "${values.repeat}"`);
  const startedAt = new Date();
  return {
    help: values.help,
    plan: importTypes
      .filter((type) => only.includes(type))
      .flatMap((type) => sizes(type).flatMap((size) => Array.from({ length: repeat }, () => ({ type, size })))),
    rateLimitSpeed: number('rate-limit-speed'),
    seed: values.seed,
    timeoutMs: number('timeout-minutes') * 60_000,
    stallMs: number('stall-minutes') * 60_000,
    traceGc: values['trace-gc'],
    serviceNodeOptions: values['service-node-options'].split(/\s+/).filter(Boolean),
    logDir: values.logs ? path.resolve(values.logs) : undefined,
    cpuProfileDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined,
    out:
      values.out ??
      path.join(PROJECT_ROOT, 'bench', 'results', `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`),
    startedAt,
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<number> {
  const options = parseOptions();
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  stopChildrenOnSignals(log);
  const serverJs = buildService();

  const results: BenchResult[] = [];
  for (const { type, size } of options.plan) {
    log(`${type} × ${size}: starting a fresh sandbox and service`);
    const result = await benchOne(type, size, serverJs, options);
    log(
      `${type} × ${size}: ${result.outcome}${result.seconds !== undefined ? ` in ${result.seconds} s` : ''}${result.error ? ` (${result.error})` : ''}`,
    );
    results.push(result);
  }

  const document = {
    startedAt: options.startedAt.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    klaviyoRateLimitSpeed: options.rateLimitSpeed,
    service: `node ${path.relative(PROJECT_ROOT, serverJs)} (compiled with tsconfig.build.json), on ${process.version}`,
    results,
  };
  process.stdout.write(
    `${formatTable(results)}\n\n${formatMemory(results)}\n\n${formatOperations(results)}\n\n${JSON.stringify(document, null, 2)}\n`,
  );
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(document, null, 2)}\n`);
  log(`JSON written to ${path.relative(process.cwd(), options.out)}`);
  return results.every((result) => result.outcome === 'completed') ? 0 : 1;
}

/** Compiles the service once, as `npm run build` does, into a directory of the benchmark's own. */
function buildService(): string {
  log('compiling the service (tsconfig.build.json)');
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`the service does not compile:\n${tsc.stdout}${tsc.stderr}`);
  return path.join(BUILD_DIR, 'server.js');
}

async function benchOne(
  type: ImportType,
  size: number,
  serverJs: string,
  options: {
    rateLimitSpeed: number;
    seed: string;
    timeoutMs: number;
    stallMs: number;
    cpuProfileDir?: string;
    logDir?: string;
    traceGc?: boolean;
    serviceNodeOptions?: string[];
  },
): Promise<BenchResult> {
  const dataset = DATASET[type](size);
  const result: BenchResult = {
    import: type,
    size,
    dataset,
    outcome: 'error',
    klaviyoRequestsPer1000: undefined,
    commercetoolsRequestsPer1000: undefined,
  };
  try {
    const profiling = (who: string) =>
      options.cpuProfileDir
        ? [
            '--cpu-prof',
            '--cpu-prof-dir',
            options.cpuProfileDir,
            '--cpu-prof-name',
            `${type}-${size}-${who}-${Date.now()}.cpuprofile`,
          ]
        : [];
    const sandbox = await startSandbox({
      sizes: dataset,
      rateLimitSpeed: options.rateLimitSpeed,
      seed: options.seed,
      startTimeoutMs: 15 * 60_000,
      nodeArgs: profiling('sandbox'),
    });
    let onLog: ((line: string) => void) | undefined;
    if (options.logDir) {
      mkdirSync(options.logDir, { recursive: true });
      const file = path.join(options.logDir, `${type}-${size}.log`);
      writeFileSync(file, '');
      onLog = (line) => appendFileSync(file, `${line}\n`);
    }
    const service = await startService({
      nodeArgs: [
        ...profiling('service'),
        ...(options.traceGc ? ['--trace-gc'] : []),
        ...serviceNodeFlags,
        ...(options.serviceNodeOptions ?? []),
        serverJs,
      ],
      sandboxEnv: sandbox.env,
      onLog,
    });
    const idleMiB = residentMemoryMiB(service.child.pid).current;
    for (const prerequisite of PREREQUISITES[type]) {
      log(`${type} × ${size}: ${prerequisite} import first (not measured)`);
      await startImport(service.url, prerequisite);
      const { status: done } = await waitForImport(service.url, prerequisite, {
        timeoutMs: options.timeoutMs,
        stallMs: options.stallMs,
        pollMs: STATUS_POLL_MS,
      });
      if (done.state !== 'completed')
        throw new Error(`the ${prerequisite} import, needed first, ended ${done.state}: ${done.error ?? ''}`);
    }
    const ctBefore = await commercetoolsStats(sandbox.commercetoolsUrl);
    const klaviyoBefore = await settledKlaviyoStats(sandbox.klaviyoUrl);

    const cpuBefore = { service: cpuSeconds(service.child.pid), sandbox: cpuSeconds(sandbox.child.pid) };
    const loadAtStart = os.loadavg()[0];
    const postedAt = performance.now();
    await startImport(service.url, type);
    const { status, polls } = await waitForImport(service.url, type, {
      timeoutMs: options.timeoutMs,
      stallMs: options.stallMs,
      pollMs: STATUS_POLL_MS,
    });
    result.wallSeconds = round((performance.now() - postedAt) / 1000, 1);
    result.loadAverage = { start: round(loadAtStart, 2), end: round(os.loadavg()[0], 2) };
    // VmHWM is the peak over the process's life; it is read before the process stops.
    result.memoryMiB = { idle: round(idleMiB, 0), peak: round(residentMemoryMiB(service.child.pid).peak, 0) };
    result.cpuSeconds = {
      service: round(cpuSeconds(service.child.pid) - cpuBefore.service, 1),
      sandbox: round(cpuSeconds(sandbox.child.pid) - cpuBefore.sandbox, 1),
    };
    const klaviyoAfter = await settledKlaviyoStats(sandbox.klaviyoUrl);
    const ctAfter = await commercetoolsStats(sandbox.commercetoolsUrl);

    const counters = status.counters!;
    const seconds = status.elapsedSeconds ?? result.wallSeconds;
    const perThousand = (count: number) => (counters.read > 0 ? round((count * 1000) / counters.read, 1) : 0);
    Object.assign(result, {
      outcome: status.state,
      error: status.error,
      seconds,
      counters,
      recordsPerSecond: round(counters.read / seconds, 0),
      rateLimited: klaviyoAfter.rateLimited - klaviyoBefore.rateLimited,
      rejected: klaviyoAfter.rejected - klaviyoBefore.rejected,
      firstFailures: status.recentFailures?.slice(0, 3),
      firstSkips: status.recentSkips?.slice(0, 3),
    });
    result.klaviyoRecords = difference(klaviyoAfter.records, klaviyoBefore.records);
    delete result.klaviyoRecords.metrics;
    const klaviyoRecordCount = Object.values(result.klaviyoRecords).reduce((sum, count) => sum + count, 0);
    result.klaviyoRecordsPerSecond = round(klaviyoRecordCount / seconds, 0);
    const target = TARGETS[type];
    const targetRate = round((result.klaviyoRecords[target.kind] ?? 0) / seconds, 0);
    result.target = {
      unit: target.unit,
      perSecond: targetRate,
      goal: target.perSecond,
      met: targetRate >= target.perSecond,
    };
    result.klaviyoRequestsPer1000 = {
      total: perThousand(klaviyoAfter.requests.total - klaviyoBefore.requests.total),
      byOperation: mapValues(
        difference(klaviyoAfter.requests.byOperation, klaviyoBefore.requests.byOperation),
        perThousand,
      ),
    };
    result.statusPolls = polls;
    result.commercetoolsRequestsPer1000 = commercetoolsPer1000(ctBefore, ctAfter, 1, perThousand);
    return result;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    return result;
  } finally {
    await stopAllChildren();
  }
}

/**
 * A status request reads the lock from commercetools (one custom-objects GET) only once the run
 * has ended: while it runs, the instance holds the lock and answers from memory (job engine,
 * 6cbb363). waitForImport stops at the first status that says the run ended, so that one request
 * is taken out: the figure is what the import itself asks of commercetools.
 */
function commercetoolsPer1000(
  before: CommercetoolsSandboxStats,
  after: CommercetoolsSandboxStats,
  statusPolls: number,
  perThousand: (count: number) => number,
): NonNullable<BenchResult['commercetoolsRequestsPer1000']> {
  const byResource = difference(after.requests.byResource, before.requests.byResource);
  byResource['custom-objects'] = Math.max(0, (byResource['custom-objects'] ?? 0) - statusPolls);
  const total = Object.values(byResource).reduce((sum, count) => sum + count, 0);
  return {
    total: perThousand(total),
    byResource: mapValues(byResource, perThousand),
    statusPollsExcluded: statusPolls,
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const COLUMNS: Array<[string, (result: BenchResult) => string | number | undefined]> = [
  ['import', (r) => r.import],
  ['size', (r) => r.size],
  ['outcome', (r) => r.outcome],
  ['seconds', (r) => r.seconds],
  ['records/s', (r) => r.recordsPerSecond],
  [
    'Klaviyo records',
    (r) => (r.klaviyoRecords ? Object.values(r.klaviyoRecords).reduce((sum, count) => sum + count, 0) : undefined),
  ],
  ['Klaviyo rec/s', (r) => r.klaviyoRecordsPerSecond],
  ['target rec/s', (r) => (r.target ? `${r.target.perSecond.toLocaleString('en-US')} ${r.target.unit}/s` : undefined)],
  [
    'target',
    (r) => (r.target ? `≥${r.target.goal.toLocaleString('en-US')} ${r.target.met ? 'met' : 'missed'}` : undefined),
  ],
  ['Klaviyo req/1k', (r) => r.klaviyoRequestsPer1000?.total],
  ['ct req/1k', (r) => r.commercetoolsRequestsPer1000?.total],
  ['429s', (r) => r.rateLimited],
  ['rejected', (r) => r.rejected],
  ['failed', (r) => r.counters?.failed],
  ['skipped', (r) => r.counters?.skipped],
  ['RSS idle MiB', (r) => r.memoryMiB?.idle],
  ['RSS peak MiB', (r) => r.memoryMiB?.peak],
  ['service CPU s', (r) => r.cpuSeconds?.service],
  ['sandbox CPU s', (r) => r.cpuSeconds?.sandbox],
  ['load 1m', (r) => (r.loadAverage ? `${r.loadAverage.start} → ${r.loadAverage.end}` : undefined)],
];

function formatTable(results: BenchResult[]): string {
  const cells = results.map((result) => COLUMNS.map(([, read]) => format(read(result))));
  const widths = COLUMNS.map(([title], index) => Math.max(title.length, ...cells.map((row) => row[index].length)));
  const line = (row: string[]) =>
    row.map((cell, index) => (index < 3 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join('  ');
  return [
    line(COLUMNS.map(([title]) => title)),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map(line),
  ].join('\n');
}

/**
 * Each import's peak RSS per size (the median of its runs, each run's figure after it) and how much
 * higher it is at each size than at the smallest: whether memory stays flat as the data grows.
 */
function formatMemory(results: BenchResult[]): string {
  const lines = [
    'Peak RSS MiB per size (median of the runs, each run in brackets), and growth over the smallest size:',
  ];
  for (const type of importTypes) {
    const peaksBySize = new Map<number, number[]>();
    for (const result of results)
      if (result.import === type && result.outcome === 'completed' && result.memoryMiB)
        peaksBySize.set(result.size, [...(peaksBySize.get(result.size) ?? []), result.memoryMiB.peak]);
    const sizes = [...peaksBySize.keys()].sort((a, b) => a - b);
    if (sizes.length === 0) continue;
    const smallest = median(peaksBySize.get(sizes[0])!);
    const parts = sizes.map((size) => {
      const peaks = peaksBySize.get(size)!;
      const growth = size === sizes[0] ? '' : `, ${signedPercent(median(peaks) / smallest - 1)}`;
      return `${size.toLocaleString('en-US')}: ${median(peaks)} [${peaks.join(' ')}]${growth}`;
    });
    lines.push(`  ${type.padEnd(10)}  ${parts.join('   ')}`);
  }
  return lines.join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : round((sorted[middle - 1] + sorted[middle]) / 2, 1);
}

function signedPercent(fraction: number): string {
  const percent = Math.round(fraction * 100);
  return `${percent >= 0 ? '+' : ''}${percent}%`;
}

function formatOperations(results: BenchResult[]): string {
  const lines = [
    'Requests per 1,000 records read from commercetools, by Klaviyo operation | by commercetools resource:',
  ];
  for (const result of results) {
    if (!result.klaviyoRequestsPer1000 || !result.commercetoolsRequestsPer1000) continue;
    const list = (counts: Record<string, number>) =>
      Object.entries(counts)
        .filter(([, count]) => count > 0)
        .map(([name, count]) => `${name} ${count}`)
        .join(', ');
    lines.push(
      `  ${result.import} × ${result.size}: ${list(result.klaviyoRequestsPer1000.byOperation)} | ${list(result.commercetoolsRequestsPer1000.byResource)}`,
    );
  }
  for (const result of results.filter((r) => r.error))
    lines.push(`  ${result.import} × ${result.size}: ${result.outcome}: ${result.error}`);
  return lines.join('\n');
}

function format(value: string | number | undefined): string {
  if (value === undefined) return '–';
  return typeof value === 'number' ? value.toLocaleString('en-US') : value;
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, count]) => [key, count - (before[key] ?? 0)]));
}

function mapValues(counts: Record<string, number>, transform: (count: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([key, count]) => [key, transform(count)]));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

runMain(main, log);
