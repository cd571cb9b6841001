// Brent's root finder exactly as R's R_zeroin2 (src/library/stats/src/zeroin.c), which
// uniroot() calls. The Wilcoxon shift function is a step function, so the root returned
// depends on every iterate; keeping R's steps, tests and tolerances is what makes our
// estimates and intervals match R's to the last digits rather than to "somewhere in the step".

const EPSILON = 2.220446049250313e-16;

export interface ZeroinOptions {
  /** Absolute tolerance on the root (uniroot's tol). */
  tolerance: number;
  maxIterations: number;
}

/**
 * A root of f in [ax, bx], given fa = f(ax) and fb = f(bx) of opposite signs (or zero).
 * Like R, it returns the last iterate when maxIterations runs out rather than failing.
 */
export function zeroin(ax: number, bx: number, fa: number, fb: number, f: (x: number) => number, options: ZeroinOptions): number {
  const steps = zeroinSteps(ax, bx, fa, fb, options);
  let step = steps.next();
  while (!step.done) step = steps.next(f(step.value));
  return step.value;
}

/**
 * The same iteration as a generator: it yields each x to evaluate and takes f(x) back, so
 * several root searches can share the passes over the data that their evaluations need.
 */
export function* zeroinSteps(
  ax: number,
  bx: number,
  fa: number,
  fb: number,
  { tolerance, maxIterations }: ZeroinOptions,
): Generator<number, number, number> {
  let a = ax;
  let b = bx;
  let c = a;
  let fc = fa;
  if (fa === 0) return a;
  if (fb === 0) return b;

  let left = maxIterations + 1;
  while (left-- > 0) {
    const prevStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      // Keep b the best approximation so far.
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tolAct = 2 * EPSILON * Math.abs(b) + tolerance / 2;
    let newStep = (c - b) / 2;
    if (Math.abs(newStep) <= tolAct || fb === 0) return b;

    if (Math.abs(prevStep) >= tolAct && Math.abs(fa) > Math.abs(fb)) {
      // Interpolate: linear with two distinct points, inverse quadratic with three.
      let p: number;
      let q: number;
      const cb = c - b;
      if (a === c) {
        const t1 = fb / fa;
        p = cb * t1;
        q = 1.0 - t1;
      } else {
        q = fa / fc;
        const t1 = fb / fc;
        const t2 = fb / fa;
        p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0));
        q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0);
      }
      if (p > 0) q = -q;
      else p = -p;
      // Accept the interpolation only when it falls inside [b, c] and is not too large;
      // otherwise the bisection step shrinks the bracket faster.
      if (p < 0.75 * cb * q - Math.abs(tolAct * q) / 2 && p < Math.abs((prevStep * q) / 2)) newStep = p / q;
    }

    if (Math.abs(newStep) < tolAct) newStep = newStep > 0 ? tolAct : -tolAct;
    a = b;
    fa = fb;
    b += newStep;
    fb = yield b;
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
    }
  }
  return b;
}
