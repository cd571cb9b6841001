// Step 1 of the judge: turn one side's raw points into the sorted sample that is judged.
// NaN points are removed or replaced by 0 (the metric's nanStrategy); infinite points are
// treated as NaN, as R's wilcox.test drops non-finite values and Prometheus yields ±Inf
// from divisions by zero. Outliers are then optionally removed with IQR fences.
import { NanStrategy, OutlierStrategy, type Outliers } from '../types.ts';
import { percentile } from '../stats/descriptive.ts';
import { sortAscending } from '../stats/sort.ts';

export interface Prepared {
  /** The points kept, sorted ascending. */
  values: Float64Array;
  nan: number;
  infinite: number;
  outliers: number;
  fences?: Fences;
}

export interface Fences {
  lower: number;
  upper: number;
}

export function preprocess(raw: readonly number[], nanStrategy: NanStrategy, outliers: Outliers): Prepared {
  const values = new Float64Array(raw.length);
  let n = 0;
  let nan = 0;
  let infinite = 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (Number.isFinite(v)) {
      values[n++] = v;
      continue;
    }
    if (Number.isNaN(v)) nan++;
    else infinite++;
    if (nanStrategy === NanStrategy.Replace) values[n++] = 0;
  }
  const sorted = sortAscending(values.subarray(0, n));
  if (outliers.strategy !== OutlierStrategy.Remove || n === 0) return { values: sorted, nan, infinite, outliers: 0 };

  const fences = iqrFences(sorted, outliers.factor);
  // Sorted, so the kept points are one contiguous run.
  let from = 0;
  while (from < n && sorted[from]! < fences.lower) from++;
  let to = n;
  while (to > from && sorted[to - 1]! > fences.upper) to--;
  return { values: sorted.subarray(from, to), nan, infinite, outliers: n - (to - from), fences };
}

/**
 * Kayenta's IQR detector with reduced sensitivity: a point is an outlier below
 * min(P1, P25 − k·IQR) or above max(P99, P75 + k·IQR), percentiles R-7. The P1/P99 terms keep
 * a tight distribution from losing its tails to a tiny IQR.
 */
export function iqrFences(sorted: ArrayLike<number>, factor: number): Fences {
  const p25 = percentile(sorted, 25);
  const p75 = percentile(sorted, 75);
  const iqr = p75 - p25;
  return {
    lower: Math.min(percentile(sorted, 1), p25 - factor * iqr),
    upper: Math.max(percentile(sorted, 99), p75 + factor * iqr),
  };
}
