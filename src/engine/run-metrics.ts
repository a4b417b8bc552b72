import { Gauge, type Registry } from 'prom-client';
import type { RunStatus } from './run-status';
import { importTypes, type RunCounters } from './run-types';

const states = ['idle', 'running', 'stopping', 'completed', 'failed', 'stopped', 'interrupted'] as const;
const counterNames: (keyof RunCounters)[] = ['read', 'sent', 'succeeded', 'failed', 'skipped'];

/**
 * The runs of one service instance as gauges, read from the runs' status whenever /metrics is
 * asked: the record counters are the status's counters of each type's latest run here, so the two
 * always agree. A type with no run in this instance shows as `idle`, with no counters.
 */
export function registerRunMetrics(registry: Registry, runsHere: () => RunStatus[]): void {
  const registers = [registry];
  new Gauge({
    name: 'bulk_import_run_records',
    help: 'Records of the latest run of each import type in this instance, as its status counts them (read: commercetools records; sent, succeeded: Klaviyo records; failed, skipped: commercetools records)',
    labelNames: ['type', 'counter'],
    registers,
    collect() {
      this.reset();
      for (const { type, counters } of runsHere()) {
        for (const counter of counterNames) if (counters) this.set({ type, counter }, counters[counter]);
      }
    },
  });
  new Gauge({
    name: 'bulk_import_run_state',
    help: 'State of the latest run of each import type in this instance: 1 for its state, 0 for the others',
    labelNames: ['type', 'state'],
    registers,
    collect() {
      const stateOf = new Map(runsHere().map((run) => [run.type, run.state]));
      for (const type of importTypes) {
        const current = stateOf.get(type) ?? 'idle';
        for (const state of states) this.set({ type, state }, state === current ? 1 : 0);
      }
    },
  });
}
