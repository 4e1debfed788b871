/** One sample line of the Prometheus text format. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: its `# HELP`, `# TYPE` and samples. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: MetricSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created', '_info'];

/**
 * Parses the Prometheus text exposition format (0.0.4, also the OpenMetrics subset prom-client
 * writes) into families in file order; samples of histograms and summaries (`_bucket`, `_sum`,
 * `_count`) join their family.
 *
 * @throws {Error} naming the line number of a line that is not a comment or a sample.
 */
export function parsePrometheusText(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (found === undefined) {
      found = { name, help: '', type: 'untyped', samples: [] };
      families.set(name, found);
    }
    return found;
  };
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line === '# EOF') return;
    if (line.startsWith('#')) {
      const [, keyword, name, ...rest] = line.split(/\s+/);
      if (name === undefined) return;
      if (keyword === 'HELP') Object.assign(family(name), { help: unescapeHelp(rest.join(' ')) });
      if (keyword === 'TYPE') Object.assign(family(name), { type: rest[0] ?? 'untyped' });
      return;
    }
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`line ${String(index + 1)}: not a metric sample: ${line}`);
    const name = match[1] ?? '';
    const sample = {
      name,
      labels: parseLabels(match[3] ?? '', index + 1),
      value: parseValue(match[4] ?? ''),
    };
    family(familyName(name, families)).samples.push(sample);
  });
  return [...families.values()].filter((f) => f.samples.length > 0 || f.type !== 'untyped');
}

function familyName(sample: string, families: ReadonlyMap<string, MetricFamily>): string {
  if (families.has(sample)) return sample;
  for (const suffix of SUFFIXES) {
    if (sample.endsWith(suffix)) {
      const base = sample.slice(0, -suffix.length);
      if (families.has(base)) return base;
    }
  }
  return sample;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let consumed = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    consumed = pattern.lastIndex;
  }
  if (text.slice(consumed).trim() !== '') {
    throw new Error(`line ${String(line)}: malformed labels {${text}}`);
  }
  return labels;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}
