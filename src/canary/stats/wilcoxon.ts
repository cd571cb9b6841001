// The pieces of R's wilcox.test confidence-interval code shared by the exact and the fast
// root searches: the standardised statistic W(d) = (dz − correction) / σ and its settings.

/** R's uniroot settings in wilcox.test (tol.root = 1e-4, maxiter = 1000). */
export const ROOT_OPTIONS = { tolerance: 1e-4, maxIterations: 1000 } as const;

export class TiedObservationsError extends Error {
  constructor() {
    super('cannot compute the confidence interval: all observations are tied');
    this.name = 'TiedObservationsError';
  }
}

/**
 * W from twiceU = 2·(Σ rank(x) − nx(nx+1)/2), an exact integer, and the tie term Σ(t³ − t):
 * dz = Σ rank(x) − nx(nx+1)/2 − nx·ny/2, σ = sqrt(nx·ny/12 · (N + 1 − ties/(N(N − 1)))),
 * the correction sign(dz)·½ when corrected. Same operations as R, so the same bits.
 */
export function standardised(twiceU: number, ties: number, nx: number, ny: number, corrected: boolean): number {
  const dz = twiceU / 2 - (nx * ny) / 2;
  const n = nx + ny;
  const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - ties / (n * (n - 1))));
  if (sigma === 0) throw new TiedObservationsError();
  const correction = corrected ? Math.sign(dz) * 0.5 : 0;
  return (dz - correction) / sigma;
}
