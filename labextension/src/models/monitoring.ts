/**
 * What the monitoring charts of a deployment draw, from successive readings
 * of its counters (`GET /deployments/{id}/metrics`): the server keeps
 * running totals, so every point is the difference between two readings —
 * requests per second from the request counts, latency percentiles from
 * the latency histogram's bucket counts (the way Prometheus'
 * `histogram_quantile` estimates them), the mean batch from the batch-size
 * histogram. A counter that went down (the server restarted) is a gap.
 */
import { IDeploymentMetrics, IHistogram } from './tokens';

/**
 * Points of the monitoring charts, one per pair of successive readings.
 */
export interface IMonitorSeries {
  /**
   * Unix seconds of the later reading of each pair.
   */
  times: number[];
  /**
   * Answered requests per second.
   */
  throughput: (number | null)[];
  /**
   * Median latency in milliseconds; `null` where no request was answered.
   */
  p50: (number | null)[];
  /**
   * 95th percentile latency in milliseconds.
   */
  p95: (number | null)[];
  /**
   * Mean requests per batch the model ran.
   */
  batch: (number | null)[];
}

/**
 * The chart points of readings in time order.
 */
export function monitorSeries(
  readings: readonly IDeploymentMetrics[]
): IMonitorSeries {
  const series: IMonitorSeries = {
    times: [],
    throughput: [],
    p50: [],
    p95: [],
    batch: []
  };
  for (let i = 1; i < readings.length; i++) {
    const before = readings[i - 1];
    const now = readings[i];
    const seconds = now.time - before.time;
    if (!(seconds > 0)) {
      continue;
    }
    const answered = totalRequests(now) - totalRequests(before);
    const latency = histogramDelta(now.latency, before.latency);
    const batches = histogramDelta(now.batch_size, before.batch_size);
    series.times.push(now.time);
    series.throughput.push(answered >= 0 ? answered / seconds : null);
    series.p50.push(milliseconds(latency && quantile(0.5, latency.buckets)));
    series.p95.push(milliseconds(latency && quantile(0.95, latency.buckets)));
    series.batch.push(
      batches && batches.count > 0 ? batches.sum / batches.count : null
    );
  }
  return series;
}

/**
 * Requests answered so far, whatever their status.
 */
export function totalRequests(reading: IDeploymentMetrics): number {
  return Object.values(reading.requests).reduce((sum, count) => sum + count, 0);
}

/**
 * What a histogram counted between two readings; `null` when its counters
 * went down (a restart) or its buckets differ.
 */
export function histogramDelta(
  now: IHistogram,
  before: IHistogram
): IHistogram | null {
  if (
    now.count < before.count ||
    now.buckets.length !== before.buckets.length
  ) {
    return null;
  }
  const buckets: [number | null, number][] = [];
  for (let i = 0; i < now.buckets.length; i++) {
    const [bound, count] = now.buckets[i];
    const [previousBound, previousCount] = before.buckets[i];
    if (bound !== previousBound || count < previousCount) {
      return null;
    }
    buckets.push([bound, count - previousCount]);
  }
  return {
    count: now.count - before.count,
    sum: now.sum - before.sum,
    buckets
  };
}

/**
 * The `q`-quantile (0 to 1) of what cumulative buckets counted, assuming
 * values spread evenly inside a bucket; `null` when they counted nothing.
 * A quantile in the last, unbounded bucket is the highest finite bound.
 */
export function quantile(
  q: number,
  buckets: readonly [number | null, number][]
): number | null {
  const sorted = [...buckets].sort(
    (a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity)
  );
  const total = sorted.length > 0 ? sorted[sorted.length - 1][1] : 0;
  if (!(total > 0)) {
    return null;
  }
  const rank = q * total;
  for (let i = 0; i < sorted.length; i++) {
    const [bound, count] = sorted[i];
    if (count < rank) {
      continue;
    }
    const lower = i > 0 ? (sorted[i - 1][0] ?? 0) : 0;
    if (bound === null) {
      return i > 0 ? lower : null;
    }
    const below = i > 0 ? sorted[i - 1][1] : 0;
    const inside = count - below;
    if (inside <= 0) {
      return bound;
    }
    const start = i === 0 && bound <= 0 ? bound : lower;
    return start + (bound - start) * ((rank - below) / inside);
  }
  return null;
}

function milliseconds(seconds: number | null): number | null {
  return seconds === null ? null : seconds * 1000;
}
