
interface Family {
  name: string;
  help: string;
}

/** A metric family as prom-client's Registry formats it (what its own metrics' `get()` return). */
export interface ExposedFamily {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: { metricName?: string; labels: Record<string, string | number>; value: number }[];
}

/** What `Registry.registerMetric` needs of a metric: its name and `get()`. */
export interface ExposedMetric {
  name: string;
  help: string;
  type: ExposedFamily['type'];
  aggregator: 'sum';
  get(): Promise<ExposedFamily>;
  /** Registry.resetMetrics() calls it on every metric. */
  reset(): void;
}

interface Series {
  labels: { group: string; method: string; status: string };
  count: number;
}

interface Latency {
  /** Requests per bucket (not cumulative: summed when scraped), the last one past every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * A request counter and latency histogram kept as plain numbers, in prom-client's exposition when scraped
 * (`registerMetric` takes any object with a name and `get()`): the same series a Counter and a Histogram with these
 * labels would give, without their per-call label validation and hashing on the path that serves the herd.
 */
export class RequestTally {
  private readonly series = new Map<string, Series>();
  private readonly latency = new Map<string, Latency>();

  constructor(private readonly opts: { requests: Family; duration: Family; buckets: readonly number[] }) {}

  /** One answered request of `group`; `seconds` from its arrival to its answer. */
  add(group: string, method: string, statusCode: number, seconds: number): void {
    const status = STATUS_CLASSES[Math.floor(statusCode / 100) - 1] ?? `${Math.floor(statusCode / 100)}xx`;
    const key = `${group} ${method} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      // Bounded by the path groups, the methods Node's parser accepts and five status classes.
      series = { labels: { group, method, status }, count: 0 };
      this.series.set(key, series);
    }
    series.count++;
    let latency = this.latency.get(group);
    if (!latency) {
      latency = { counts: new Float64Array(this.opts.buckets.length + 1), sum: 0, count: 0 };
      this.latency.set(group, latency);
    }
    const bounds = this.opts.buckets;
    let b = 0;
    while (b < bounds.length && seconds > (bounds[b] as number)) b++;
    latency.counts[b]! += 1;
    latency.sum += seconds;
    latency.count++;
  }

  /** Forgets every count (Registry.resetMetrics). */
  reset(): void {
    this.series.clear();
    this.latency.clear();
  }

  /** The two metric families, to register with a prom-client Registry. */
  metrics(): ExposedMetric[] {
    const { requests, duration, buckets } = this.opts;
    // get() reads the name from the object: a registry switched to OpenMetrics renames counters (drops `_total`,
    // then adds it to each sample) by setting `name`, as it does for its own metrics.
    const family = (f: Family, type: ExposedFamily['type'], values: () => ExposedFamily['values']): ExposedMetric => {
      const metric: ExposedMetric = {
        name: f.name, help: f.help, type, aggregator: 'sum',
        get: async () => ({ name: metric.name, help: f.help, type, aggregator: 'sum', values: values() }),
        reset: () => this.reset(),
      };
      return metric;
    };
    return [
      family(requests, 'counter', () => [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.count }))),
      family(duration, 'histogram', () => {
        const values: ExposedFamily['values'] = [];
        for (const [group, l] of this.latency) {
          let cumulative = 0;
          buckets.forEach((le, i) => {
            cumulative += l.counts[i] as number;
            values.push({ metricName: `${duration.name}_bucket`, labels: { le, group }, value: cumulative });
          });
          values.push({ metricName: `${duration.name}_bucket`, labels: { le: '+Inf', group }, value: l.count });
          values.push({ metricName: `${duration.name}_sum`, labels: { group }, value: l.sum });
          values.push({ metricName: `${duration.name}_count`, labels: { group }, value: l.count });
        }
        return values;
      }),
    ];
  }
}
