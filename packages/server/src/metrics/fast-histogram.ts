/**
 * @module fast-histogram
 * A histogram for the hot path, registered in a prom-client registry like any metric. prom-client's
 * own `Histogram` validates and hashes the label set on every observation, even through a
 * `labels()` child: about 1 µs each, measured, on every request and every statement. Here a label
 * set is looked up once and kept as a {@link HistogramSeries}; observing is a bucket search and
 * three additions. The registry reads it through the same `get()` shape prom-client's metrics
 * have, so the exposition (`_bucket`, `_sum`, `_count`, cumulative, `le="+Inf"`) is prom-client's.
 */
import type { Registry } from 'prom-client';

/** One label set's counts. */
export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly #upper: readonly number[];
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(labels: Record<string, string>, upper: readonly number[]) {
    this.labels = labels;
    this.#upper = upper;
    this.counts = new Float64Array(upper.length + 1);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const upper = this.#upper;
    let i = 0;
    while (i < upper.length && value > upper[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #upper: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(options: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    this.name = options.name;
    this.help = options.help;
    this.#upper = [...options.buckets].sort((a, b) => a - b);
    // A structural metric: the registry only calls get() and reads name, help and type.
    options.registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of `labels`, created on first use under `key` (a string that identifies the set). */
  series(key: string, labels: () => Record<string, string>): HistogramSeries {
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new HistogramSeries(labels(), this.#upper);
      this.#series.set(key, series);
    }
    return series;
  }

  /** What prom-client's registry formats: cumulative buckets, then `_sum` and `_count`, per series. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#upper.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ labels: { ...series.labels, le: bound }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      cumulative += series.counts[this.#upper.length]!;
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: cumulative, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
