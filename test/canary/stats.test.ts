// Known answers from R (scripts/r/wilcox-fixtures.R → test/fixtures/canary/*.json).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mannWhitney, TiedObservationsError } from '../../src/canary/stats/mann-whitney.ts';
import { normalQuantile } from '../../src/canary/stats/normal.ts';
import { cles, mean, percentile, std, summarize } from '../../src/canary/stats/descriptive.ts';
import { sortAscending } from '../../src/canary/stats/sort.ts';
import { iqrFences } from '../../src/canary/judge/preprocess.ts';
import { assertClose, fixtures } from './helpers.ts';

interface Inputs {
  wilcox: { name: string; x: number[]; y: number[]; confLevel: number }[];
  quantiles: { name: string; values: number[]; probs: number[] }[];
  fences: { name: string; values: number[]; factor: number }[];
  cles: { name: string; canary: number[]; baseline: number[] }[];
}
interface Expected {
  wilcox: { name: string; estimate: number; lower: number; upper: number }[];
  quantiles: { name: string; quantiles: number[] }[];
  fences: { name: string; lower: number; upper: number }[];
  cles: { name: string; cles: number }[];
  qnorm: { p: number; q: number }[];
}

const inputs = fixtures<Inputs>('wilcox-inputs.json');
const expected = fixtures<Expected>('wilcox-expected.json');
const sorted = (v: number[]) => sortAscending(Float64Array.from(v));

describe('Mann-Whitney shift and confidence interval match R wilcox.test', () => {
  inputs.wilcox.forEach((c, i) => {
    const r = expected.wilcox[i]!;
    test(c.name, () => {
      assert.equal(r.name, c.name);
      const got = mannWhitney(c.x, c.y, c.confLevel);
      // Brent stops within 1e-4 of the root; the port follows R's iterations, so it lands on
      // R's root to within the last digits of the normal quantile.
      const tol = { abs: 2e-4, rel: 1e-3 };
      assertClose(got.estimate, r.estimate, tol, 'estimate');
      assertClose(got.lower, r.lower, tol, 'lower');
      assertClose(got.upper, r.upper, tol, 'upper');
    });
  });

  test('the estimate is R\'s to the last bit and the interval to 1e-12, iteration for iteration', () => {
    inputs.wilcox.forEach((c, i) => {
      const r = expected.wilcox[i]!;
      const got = mannWhitney(c.x, c.y, c.confLevel);
      assert.equal(got.estimate, r.estimate, c.name);
      assertClose(got.lower, r.lower, { abs: 1e-12, rel: 1e-12 }, `${c.name} lower`);
      assertClose(got.upper, r.upper, { abs: 1e-12, rel: 1e-12 }, `${c.name} upper`);
    });
  });

  test('a positive shift of x gives a positive estimate inside its interval', () => {
    const y = Array.from({ length: 200 }, (_, i) => Math.sin(i) * 3);
    const x = y.map((v) => v + 2);
    const r = mannWhitney(x, y, 0.98);
    assert.ok(r.lower < r.estimate && r.estimate < r.upper);
    assertClose(r.estimate, 2, { abs: 0.05 }, 'estimate');
  });

  test('two samples of one tied value cannot be tested', () => {
    assert.throws(() => mannWhitney([4, 4, 4], [4, 4], 0.98), TiedObservationsError);
    assert.throws(() => mannWhitney([4, 4, 4], [2, 2], 0.98), /all observations are tied/);
  });
});

describe('normal quantile', () => {
  test('matches R qnorm', () => {
    for (const { p, q } of expected.qnorm) assertClose(normalQuantile(p), q, { abs: 1e-15, rel: 1e-15 }, `qnorm(${p})`);
  });
  test('is symmetric and infinite at the ends', () => {
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
    assert.ok(Number.isNaN(normalQuantile(1.5)));
  });
});

describe('descriptive statistics', () => {
  test('R-7 percentiles match R quantile(type = 7)', () => {
    inputs.quantiles.forEach((c, i) => {
      const s = sorted(c.values);
      c.probs.forEach((p, k) => assertClose(percentile(s, p * 100), expected.quantiles[i]!.quantiles[k]!, { abs: 1e-12, rel: 1e-12 }, `${c.name} p=${p}`));
    });
  });

  test('IQR fences min(P1, P25 − k·IQR) and max(P99, P75 + k·IQR) match R', () => {
    inputs.fences.forEach((c, i) => {
      const f = iqrFences(sorted(c.values), c.factor);
      assertClose(f.lower, expected.fences[i]!.lower, { abs: 1e-12, rel: 1e-12 }, `${c.name} lower`);
      assertClose(f.upper, expected.fences[i]!.upper, { abs: 1e-12, rel: 1e-12 }, `${c.name} upper`);
    });
  });

  test('CLES matches the rank formula computed by R', () => {
    inputs.cles.forEach((c, i) => assertClose(cles(sorted(c.canary), sorted(c.baseline)), expected.cles[i]!.cles, { abs: 1e-15 }, c.name));
    assert.equal(cles(sorted([5, 6]), sorted([1, 2])), 1);
    assert.equal(cles(sorted([1, 2]), sorted([5, 6])), 0);
  });

  test('mean and sample standard deviation; empty sides are NaN, one point has std 0', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assertClose(std([1, 2, 3, 4]), Math.sqrt(5 / 3), { abs: 1e-15 }, 'std');
    assert.deepEqual(summarize([7]), { count: 1, mean: 7, std: 0, min: 7, max: 7 });
    const empty = summarize([]);
    assert.equal(empty.count, 0);
    assert.ok(Number.isNaN(empty.mean) && Number.isNaN(empty.std));
  });

  test('the radix sort agrees with a comparison sort on awkward data', () => {
    const cases = [
      Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 1e6),
      Array.from({ length: 3000 }, (_, i) => (i % 7) - 3),
      Array.from({ length: 3000 }, (_, i) => 1e6 + Math.sin(i) * 1e-7),
      Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 0 : i % 5 ? 1e-300 * i : -5e-324 * i)),
    ];
    for (const c of cases) assert.deepEqual([...sortAscending(Float64Array.from(c))], [...c].sort((a, b) => a - b));
  });
});
