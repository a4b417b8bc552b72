import { MultiBar, type SingleBar } from 'cli-progress';
import type { RunStatus } from '../engine/run-status';
import type { ImportType } from '../engine/run-types';

/** How the CLI shows the imports it runs: progress bars on a terminal, plain lines elsewhere. */
export interface ProgressDisplay {
  /** An import is about to start; `total` is the number of records it will read, when known. */
  starting(type: ImportType, total: number | undefined): void;
  update(status: RunStatus): void;
  /** A line of its own, such as how an import ended. */
  message(line: string): void;
  close(): void;
}

/** Records read per second since the run began, and the seconds left at that pace when the total is known. */
function pace(status: RunStatus, total: number | undefined): { rate: number; etaSeconds?: number } {
  const read = status.counters?.read ?? 0;
  const rate = status.elapsedSeconds ? Math.round(read / status.elapsedSeconds) : 0;
  if (total === undefined || rate === 0) return { rate };
  return { rate, etaSeconds: Math.max(0, Math.round((total - read) / rate)) };
}

/** One bar per import: records read of the total, rate, ETA, and the counts of failed and skipped records. */
export function terminalDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  const bars = new MultiBar({
    stream,
    format: '{type} |{bar}| {value}/{total} records | {rate}/s | ETA {eta_formatted} | {problems} | {state}',
    hideCursor: true,
    gracefulExit: false,
    barsize: 30,
  });
  const current = new Map<ImportType, { bar: SingleBar; total?: number }>();
  return {
    starting(type, total) {
      const payload = { type: type.padEnd(10), rate: 0, problems: '', state: 'starting' };
      // Without a total there is no bar to fill nor an ETA to give: records and rate only.
      const bar =
        total === undefined
          ? bars.create(0, 0, payload, { format: '{type} | {value} records | {rate}/s | {problems} | {state}' })
          : bars.create(total, 0, payload);
      current.set(type, { bar, total });
    },
    update(status) {
      const shown = current.get(status.type);
      if (!shown) return;
      const { rate } = pace(status, shown.total);
      const counters = status.counters;
      shown.bar.update(counters?.read ?? 0, {
        rate,
        problems: `${counters?.failed ?? 0} failed, ${counters?.skipped ?? 0} skipped`,
        state: status.state,
      });
    },
    message(line) {
      bars.log(`${line}\n`);
      // The bars print logged lines at their next redraw: redraw now, the last one may never come.
      bars.update();
    },
    close() {
      bars.stop();
    },
  };
}

/**
 * Plain lines for logs (cron, Cloud Run Jobs, a pipe): one when an import starts, one every
 * `everyMs` while it runs, and the lines the CLI writes as imports end.
 */
export function plainDisplay(write: (line: string) => void, everyMs = 10_000, now = () => Date.now()): ProgressDisplay {
  const totals = new Map<ImportType, number | undefined>();
  let lastLineAt = 0;
  return {
    starting(type, total) {
      totals.set(type, total);
      write(`${type}: starting${total === undefined ? '' : `, ${total} records to read`}`);
      lastLineAt = now();
    },
    update(status) {
      if (now() - lastLineAt < everyMs || !status.counters) return;
      lastLineAt = now();
      const total = totals.get(status.type);
      const { rate, etaSeconds } = pace(status, total);
      const { read, sent, failed, skipped } = status.counters;
      write(
        `${status.type}: ${status.state}, read ${read}${total === undefined ? '' : `/${total}`}, sent ${sent}, ` +
          `failed ${failed}, skipped ${skipped}, ${rate} records/s${etaSeconds === undefined ? '' : `, ETA ${etaSeconds} s`}`,
      );
    },
    message: write,
    close() {},
  };
}
