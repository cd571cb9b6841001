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

/** R's uniroot settings in wilcox.test (tol.root = 1e-4, maxiter = 1000). */
const ROOT_OPTIONS = { tolerance: 1e-4, maxIterations: 1000 } as const;

export interface ShiftEstimate {
  /** The estimated shift of x relative to y (positive: x is higher). */
  estimate: number;
  lower: number;
  upper: number;
}

export class TiedObservationsError extends Error {
  constructor() {
    super('cannot compute the confidence interval: all observations are tied');
    this.name = 'TiedObservationsError';
  }
}

/**
 * The shift of x relative to y with its two-sided confidence interval at confidenceLevel.
 * The inputs are copied and sorted; callers that already hold sorted typed arrays use
 * mannWhitneySorted.
 */
export function mannWhitney(x: ArrayLike<number>, y: ArrayLike<number>, confidenceLevel: number): ShiftEstimate {
  return mannWhitneySorted(Float64Array.from(x).sort(), Float64Array.from(y).sort(), confidenceLevel);
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
  const zq = normalQuantile(alpha / 2);
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
 * The rank statistic of (x − d) ∪ y for one shift d at a time: dz = Σ rank(x) − nx(nx+1)/2
 * − nx·ny/2 with average ranks for ties, and the tie term Σ(t³ − t) over tie groups.
 */
class ShiftRanks {
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  /** Σ(t³ − t) over the groups of equal values within y alone: y does not move with d. */
  private readonly yTies: number;
  dz = 0;
  sigma = 0;

  constructor(xs: Float64Array, ys: Float64Array) {
    this.xs = xs;
    this.ys = ys;
    let ties = 0;
    for (let j = 0; j < ys.length; ) {
      let k = j + 1;
      while (k < ys.length && ys[k] === ys[j]) k++;
      const t = k - j;
      ties += t * t * t - t;
      j = k;
    }
    this.yTies = ties;
  }

  at(d: number): void {
    const xs = this.xs;
    const ys = this.ys;
    const nx = xs.length;
    const ny = ys.length;
    // j: how many y lie below the current x − d; twiceU: 2·Σ(#y below + ½·#y equal),
    // which is 2·(Σ rank(x) − nx(nx+1)/2) and stays an exact integer.
    let j = 0;
    let twiceU = 0;
    let ties = this.yTies;
    let i = 0;
    while (i < nx) {
      // x − d is computed exactly as R does, so values that collide after the
      // subtraction (rounding) tie here as they tie in R.
      const a = xs[i]! - d;
      let cx = 1;
      i++;
      while (i < nx && xs[i]! - d === a) {
        cx++;
        i++;
      }
      while (j < ny && ys[j]! < a) j++;
      let k = j;
      while (k < ny && ys[k] === a) k++;
      const cy = k - j;
      twiceU += cx * (2 * j + cy);
      if (cx > 1 || cy > 0) {
        const t = cx + cy;
        ties += t * t * t - t - (cy * cy * cy - cy);
      }
    }
    this.dz = twiceU / 2 - (nx * ny) / 2;
    const n = nx + ny;
    this.sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - ties / (n * (n - 1))));
  }

  /** (dz − correction)/σ, R's W(d); the correction is sign(dz)·½ when corrected. */
  standardised(corrected: boolean): number {
    if (this.sigma === 0) throw new TiedObservationsError();
    const correction = corrected ? Math.sign(this.dz) * 0.5 : 0;
    return (this.dz - correction) / this.sigma;
  }
}
