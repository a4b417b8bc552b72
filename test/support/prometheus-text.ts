/** One sample of Prometheus' text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const suffixes: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count', ''],
};

/**
 * Parses Prometheus' text format (version 0.0.4) strictly: a line that is not a comment, a HELP, a
 * TYPE or a well-formed sample throws, and so does a sample of a family whose TYPE was not declared
 * before it, or a family declared twice.
 */
export function parsePrometheusText(text: string): Sample[] {
  const declared = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, index) => {
    const fail: (why: string) => never = (why) => {
      throw new Error(`line ${index + 1}: ${why}: ${line}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const [, keyword, name, rest] = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line) ?? [];
      if (!keyword) return;
      if (!metricName.test(name)) fail('bad metric name');
      if (keyword === 'TYPE') {
        if (!types.has(rest)) fail('unknown type');
        if (declared.has(name)) fail('family declared twice');
        declared.set(name, rest);
      }
      return;
    }
    const [, name, labelText, valueText] = /^([^\s{]+)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line) ?? [];
    if (!name || !metricName.test(name)) fail('not a sample');
    const family = [...declared.keys()].find((base) =>
      (suffixes[declared.get(base)!] ?? ['']).some((suffix) => name === base + suffix),
    );
    if (!family) fail('sample of an undeclared family');
    const value = numberOf(valueText);
    if (value === undefined) fail('bad value');
    samples.push({ name, labels: parseLabels(labelText ?? '', fail), value });
  });
  return samples;
}

/** A float as Go's ParseFloat, which Prometheus uses, reads it: NaN and Inf in any case. */
function numberOf(text: string): number | undefined {
  if (/^nan$/i.test(text)) return NaN;
  const infinity = /^([+-]?)inf(inity)?$/i.exec(text);
  if (infinity) return infinity[1] === '-' ? -Infinity : Infinity;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  labelPair.lastIndex = 0;
  while (labelPair.lastIndex < text.length) {
    const start = labelPair.lastIndex;
    const match = labelPair.exec(text);
    if (!match || match.index !== start) fail('bad labels');
    labels[match[1]] = match[2].replace(/\\(["\\n])/g, (_all, escaped: string) => (escaped === 'n' ? '\n' : escaped));
  }
  return labels;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name)
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}
