// Descriptive statistics as Kayenta computes them (Apache Commons Math): the mean and the
// sample variance with the two-pass correction, and R-7 percentiles (R's quantile type 7,
// the default of R and of numpy).
import type { SideStats } from '../types.ts';

export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const m = sum / n;
  // The second pass removes most of the rounding error of the first.
  let correction = 0;
  for (let i = 0; i < n; i++) correction += values[i]! - m;
  return m + correction / n;
}

/** The sample standard deviation (n − 1); 0 for one point, NaN for none. */
export function std(values: ArrayLike<number>, m = mean(values)): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (n === 1) return 0;
  let squares = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const dev = values[i]! - m;
    squares += dev * dev;
    sum += dev;
  }
  return Math.sqrt((squares - (sum * sum) / n) / (n - 1));
}

/** The p-th percentile (0..100) of values sorted ascending, R-7 interpolation. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const lower = sorted[lo]!;
  return lower + (h - lo) * (sorted[hi]! - lower);
}

/**
 * The common language effect size: the probability that a canary point exceeds a baseline
 * point, ties counting half. Vargha and Delaney's (2·r1 − m(m+1)) / (2nm) with r1 the rank
 * sum of the canary in the pooled sample, computed by merging the two sorted samples.
 */
export function cles(canarySorted: ArrayLike<number>, baselineSorted: ArrayLike<number>): number {
  const m = canarySorted.length;
  const n = baselineSorted.length;
  if (m === 0 || n === 0) return NaN;
  // twiceU = 2·Σ over canary points of (#baseline below + ½·#baseline equal).
  let twiceU = 0;
  let j = 0;
  for (let i = 0; i < m; ) {
    const v = canarySorted[i]!;
    let cx = 0;
    while (i < m && canarySorted[i] === v) {
      cx++;
      i++;
    }
    while (j < n && baselineSorted[j]! < v) j++;
    let k = j;
    while (k < n && baselineSorted[k] === v) k++;
    twiceU += cx * (2 * j + (k - j));
  }
  return twiceU / (2 * n * m);
}

export function summarize(values: ArrayLike<number>): SideStats {
  const n = values.length;
  if (n === 0) return { count: 0, mean: NaN, std: NaN, min: NaN, max: NaN };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const m = mean(values);
  return { count: n, mean: m, std: std(values, m), min, max };
}

/** As summarize, for values sorted ascending: min and max are the ends. */
export function summarizeSorted(sorted: ArrayLike<number>): SideStats {
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: NaN, std: NaN, min: NaN, max: NaN };
  const m = mean(sorted);
  return { count: n, mean: m, std: std(sorted, m), min: sorted[0]!, max: sorted[n - 1]! };
}
