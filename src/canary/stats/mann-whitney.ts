// The two-sample Mann-Whitney (Wilcoxon rank-sum) location shift, ported from R's
// wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE): the Hodges-Lehmann
// style estimate of the shift x − y and its asymptotic confidence interval, both found as
// roots of the standardised rank statistic of (x − d) ∪ y as a function of the shift d.
//
// R recomputes rank() of the pooled sample for every d, an O(n log n) sort per step of
// the root search. Ranks of (x − d) ∪ y only need the number of y below and equal to each
// x − d, and with both samples sorted once those come from one merge-like pass, O(n).
// The statistic is computed with integers where R uses half-integer rank sums, so the
// values are identical, not merely close.
import { normalQuantile } from './normal.ts';
import { zeroin } from './zeroin.ts';
import { sortAscending } from './sort.ts';
import { ROOT_OPTIONS, TiedObservationsError, standardised } from './wilcoxon.ts';

export { TiedObservationsError } from './wilcoxon.ts';

export interface ShiftEstimate {
  /** The estimated shift of x relative to y (positive: x is higher). */
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * The shift of x relative to y with its two-sided confidence interval at confidenceLevel.
 * The inputs are copied and sorted; callers that already hold sorted typed arrays use
 * mannWhitneySorted.
 */
export function mannWhitney(x: ArrayLike<number>, y: ArrayLike<number>, confidenceLevel: number): ShiftEstimate {
  return mannWhitneySorted(sortAscending(Float64Array.from(x)), sortAscending(Float64Array.from(y)), confidenceLevel);
}

/** As mannWhitney, for samples sorted ascending, finite, and not empty. */
export function mannWhitneySorted(xs: Float64Array, ys: Float64Array, confidenceLevel: number): ShiftEstimate {
  const nx = xs.length;
  const ny = ys.length;
  if (nx === 0 || ny === 0) throw new RangeError('Mann-Whitney needs at least one observation on each side');
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw new RangeError(`confidence level ${confidenceLevel} is not between 0 and 1`);

  const ranks = new ShiftRanks(xs, ys);
  const alpha = 1 - confidenceLevel;
  const muMin = xs[0]! - ys[ny - 1]!;
  const muMax = xs[nx - 1]! - ys[0]!;
  // R throws "lower < upper is not fulfilled" here; it only happens when both sides are
  // one repeated value each, which the classifier jitters before calling us.
  if (!(muMin < muMax)) throw new TiedObservationsError();
  const zq = normalQuantile(alpha / 2);

  const corrected = (d: number) => {
    ranks.at(d);
    return ranks.standardised(true);
  };
  ranks.at(muMin);
  const wMin = ranks.standardised(true);
  const wMinRaw = ranks.standardised(false);
  ranks.at(muMax);
  const wMax = ranks.standardised(true);
  const wMaxRaw = ranks.standardised(false);

  // With no sign change the interval end is the end of the search range, as in R.
  const root = (zq: number): number => {
    const fLower = wMin - zq;
    if (fLower <= 0) return muMin;
    const fUpper = wMax - zq;
    if (fUpper >= 0) return muMax;
    return zeroin(muMin, muMax, fLower, fUpper, (d) => corrected(d) - zq, ROOT_OPTIONS);
  };
  const lower = root(-zq);
  const upper = root(zq);

  // R sets correct <- FALSE before the estimate: the point estimate has no continuity
  // correction (Kayenta's Scala port keeps it; we follow R, whose answers we test against).
  const estimate = zeroin(
    muMin,
    muMax,
    wMinRaw,
    wMaxRaw,
    (d) => {
      ranks.at(d);
      return ranks.standardised(false);
    },
    ROOT_OPTIONS,
  );
  return { estimate, lower, upper };
}

/**
 * The rank statistic of (x − d) ∪ y for one shift d at a time. Both samples are kept as
 * distinct values with counts, so series with many repeated values (quantised rates, integer
 * counts) cost as many steps as they have distinct values. Distinct x values that collide
 * after the subtraction (rounding) are merged into one tie group, exactly as R ranks them.
 */
class ShiftRanks {
  private readonly xu: Float64Array;
  private readonly xc: Float64Array;
  /** Distinct y values, then +Infinity, which ends every scan without a bounds check. */
  private readonly yu: Float64Array;
  /** below[k]: how many y are below yu[k]; below[distinct count] = ny. */
  private readonly below: Float64Array;
  private readonly nx: number;
  private readonly ny: number;
  /** Σ(t³ − t) over the groups of equal values within y alone: y does not move with d. */
  private readonly yTies: number;
  private twiceU = 0;
  private ties = 0;

  constructor(xs: Float64Array, ys: Float64Array) {
    this.nx = xs.length;
    this.ny = ys.length;
    const x = distinct(xs, 0);
    this.xu = x.values;
    this.xc = x.counts;
    const y = distinct(ys, 1);
    y.values[y.size] = Infinity;
    this.yu = y.values;
    // Cumulative counts, and Σ(t³ − t) over y's own tie groups.
    const below = new Float64Array(y.size + 1);
    let ties = 0;
    for (let k = 0; k < y.size; k++) {
      const t = y.counts[k]!;
      below[k + 1] = below[k]! + t;
      ties += t * t * t - t;
    }
    this.below = below;
    this.yTies = ties;
  }

  at(d: number): void {
    const { xu, xc, yu, below } = this;
    const groups = xu.length;
    // k: the first distinct y not below the current x − d; twiceU: 2·Σ(#y below + ½·#y
    // equal) over x, which is 2·(Σ rank(x) − nx(nx+1)/2) and stays an exact integer.
    let k = 0;
    let twiceU = 0;
    let ties = this.yTies;
    let g = 0;
    while (g < groups) {
      const a = xu[g]! - d;
      let cx = xc[g]!;
      g++;
      while (g < groups && xu[g]! - d === a) cx += xc[g++]!;
      // Interleaved samples advance one or two values per x: two branch-free steps first
      // save most of the mispredicted loop exits, which dominate this pass.
      k += +(yu[k]! < a);
      k += +(yu[k]! < a);
      while (yu[k]! < a) k++;
      const lo = below[k]!;
      const cy = yu[k] === a ? below[k + 1]! - lo : 0;
      twiceU += cx * (2 * lo + cy);
      if (cx > 1 || cy > 0) {
        const t = cx + cy;
        ties += t * t * t - t - (cy * cy * cy - cy);
      }
    }
    this.twiceU = twiceU;
    this.ties = ties;
  }

  /** R's W(d) at the last shift given to at(). */
  standardised(corrected: boolean): number {
    return standardised(this.twiceU, this.ties, this.nx, this.ny, corrected);
  }
}

/** The distinct values of a sorted sample (with `spare` free slots after them) and their counts. */
function distinct(sorted: Float64Array, spare: number): { values: Float64Array; counts: Float64Array; size: number } {
  const values = new Float64Array(sorted.length + spare);
  const counts = new Float64Array(sorted.length + spare);
  let k = -1;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (k < 0 || v !== values[k]) values[++k] = v;
    counts[k]!++;
  }
  const size = k + 1;
  return size === sorted.length
    ? { values, counts, size }
    : { values: values.slice(0, size + spare), counts: counts.slice(0, size + spare), size };
}
