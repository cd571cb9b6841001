import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMetric } from '../../src/canary/judge/classify.ts';
import { preprocess } from '../../src/canary/judge/preprocess.ts';
import { sample, series, settings } from './helpers.ts';

const base = sample(100, 100, 5);
const gated = { measure: 'meanRatio', allowedIncrease: 1.1, allowedDecrease: 0.9, criticalIncrease: 1.5, criticalDecrease: 0.5 } as const;

describe('metric classification', () => {
  test('a significant increase is High and a significant decrease is Low, each explained', () => {
    const high = classifyMetric(series(base, sample(100, 110, 5, 1)), settings);
    assert.equal(high.classification, 'High');
    assert.equal(high.critical, false);
    assert.match(high.reason, /^canary mean 1\.1× baseline; the 98% CI of the shift \[9\.\d+, 10\.\d+\] is above \+2\.5/);
    assert.ok(high.confidenceInterval!.lower > 0.25 * Math.abs(high.estimate!));

    const low = classifyMetric(series(base, sample(100, 90, 5, 1)), settings);
    assert.equal(low.classification, 'Low');
    assert.match(low.reason, /is below −2\.5/);
  });

  test('a 3× mean ratio that is not statistically significant passes', () => {
    const r = classifyMetric(series([1, 100, 2, 90], [3, 300, 6, 270]), settings);
    assert.equal(r.ratio, 3);
    assert.equal(r.classification, 'Pass');
    assert.match(r.reason, /^no significant shift: the 98% CI of the shift \[-97, 299\] overlaps ±25\.3/);
  });

  test('a significant shift whose effect is below allowedIncrease passes; at or above it fails', () => {
    const small = classifyMetric(series(base, sample(100, 101.5, 5, 1), { effectSize: gated }), settings);
    assert.equal(small.classification, 'Pass');
    assert.match(small.reason, /^canary is significantly higher \(.*\), but mean ratio 1\.02 is below allowedIncrease 1\.1$/);

    const large = classifyMetric(series(base, sample(100, 111, 5, 1), { effectSize: gated }), settings);
    assert.equal(large.classification, 'High');
    assert.match(large.reason, /mean ratio 1\.11 reaches allowedIncrease 1\.1/);

    const down = classifyMetric(series(base, sample(100, 98.5, 5, 1), { effectSize: gated }), settings);
    assert.equal(down.classification, 'Pass');
    assert.match(down.reason, /significantly lower .* above allowedDecrease 0\.9/);
  });

  test('the direction decides which change fails the metric', () => {
    const up = sample(100, 110, 5, 1);
    const down = sample(100, 90, 5, 1);
    assert.equal(classifyMetric(series(base, up, { direction: 'increase' }), settings).classification, 'High');
    const ignored = classifyMetric(series(base, down, { direction: 'increase' }), settings);
    assert.equal(ignored.classification, 'Pass');
    assert.match(ignored.reason, /significantly lower .*, but only increases fail this metric/);
    assert.equal(classifyMetric(series(base, up, { direction: 'decrease' }), settings).classification, 'Pass');
    assert.equal(classifyMetric(series(base, down, { direction: 'decrease' }), settings).classification, 'Low');
    assert.equal(classifyMetric(series(base, up, { direction: 'either' }), settings).classification, 'High');
    assert.equal(classifyMetric(series(base, down, { direction: 'either' }), settings).classification, 'Low');
  });

  test('the CLES effect size gates like the mean ratio, in probability units', () => {
    const cles = { measure: 'cles', allowedIncrease: 0.6, allowedDecrease: 0.4, criticalIncrease: 0.9, criticalDecrease: 0.1 } as const;
    const r = classifyMetric(series(base, sample(100, 103, 5, 1), { effectSize: cles }), settings);
    assert.equal(r.classification, 'High');
    assert.ok(r.cles! > 0.6);
    assert.match(r.reason, /CLES 0\.\d+ reaches allowedIncrease 0\.6/);
    const strict = classifyMetric(series(base, sample(100, 103, 5, 1), { effectSize: { ...cles, allowedIncrease: 0.95 } }), settings);
    assert.equal(strict.classification, 'Pass');
  });

  test('a critical metric fails critically only beyond the critical effect size', () => {
    const beyond = classifyMetric(series(base, sample(100, 200, 5, 1), { critical: true, effectSize: gated }), settings);
    assert.deepEqual([beyond.classification, beyond.critical], ['High', true]);
    assert.match(beyond.reason, /critical: mean ratio is beyond criticalIncrease 1\.5$/);
    const within = classifyMetric(series(base, sample(100, 120, 5, 1), { critical: true, effectSize: gated }), settings);
    assert.deepEqual([within.classification, within.critical], ['High', false]);
    const low = classifyMetric(series(base, sample(100, 40, 5, 1), { critical: true, effectSize: gated }), settings);
    assert.deepEqual([low.classification, low.critical], ['Low', true]);
    const pass = classifyMetric(series(base, base, { critical: true }), settings);
    assert.deepEqual([pass.classification, pass.critical], ['Pass', false]);
  });

  test('identical data and a single shared value pass without a test', () => {
    const same = classifyMetric(series(base, [...base].reverse()), settings);
    assert.deepEqual([same.classification, same.reason], ['Pass', 'canary and baseline data are identical']);
    assert.equal(same.estimate, undefined);
    const single = classifyMetric(series([4, 4, 4], [4, 4, 4, 4, 4]), settings);
    assert.deepEqual([single.classification, single.reason], ['Pass', 'both sides hold the single value 4']);
  });

  test('two different constant sides are jittered with the seeded RNG and judged', () => {
    const r = classifyMetric(series(Array(60).fill(5), Array(60).fill(6)), settings);
    assert.equal(r.classification, 'High');
    assert.equal(r.baseline.std, 0, 'statistics describe the data before the jitter');
    const again = classifyMetric(series(Array(60).fill(5), Array(60).fill(6)), settings);
    assert.deepEqual(again, r);
    const other = classifyMetric(series(Array(60).fill(5), Array(60).fill(6)), { ...settings, seed: 8 });
    assert.notEqual(other.estimate, r.estimate, 'another seed, other noise');
    assert.equal(other.classification, 'High');
  });

  test('constant sides whose jitter vanishes cannot be tested: Error, critical when the metric is', () => {
    const r = classifyMetric(series(Array(60).fill(0), Array(60).fill(5e-324), { critical: true }), settings);
    assert.deepEqual([r.classification, r.critical], ['Error', true]);
    assert.equal(r.reason, 'could not be judged: cannot compute the confidence interval: all observations are tied');
  });

  test('sides constant up to floating-point noise are jittered as constant ones, not an Error', () => {
    const noisy = Array.from({ length: 9 }, (_, i) => (i % 2 ? 0.0235 : 0.023500000000000004));
    const r = classifyMetric(series(noisy, Array(9).fill(0.235)), settings);
    assert.equal(r.classification, 'High', r.reason);
    const same = classifyMetric(series(noisy, Array(9).fill(0.0235)), settings);
    assert.equal(same.classification, 'Pass');
    assert.match(same.reason, /both sides hold the single value/);
  });

  test('one observation on each side is an Error that says so, not a tie', () => {
    const r = classifyMetric(series([1], [2]), settings);
    assert.equal(r.classification, 'Error');
    assert.match(r.reason, /one observation on each side is too few to compare/);
    assert.equal(classifyMetric(series([1], [2, 3]), settings).classification !== 'Error', true, 'one side with two values can be tested');
  });

  test('no data: Nodata, NodataFailMetric with mustHaveData, Pass with nanStrategy replace', () => {
    const empty = [NaN, NaN];
    const nodata = classifyMetric(series(base, empty), settings);
    assert.deepEqual([nodata.classification, nodata.critical, nodata.reason], ['Nodata', false, 'no data on the canary side']);
    assert.equal(classifyMetric(series([], []), settings).reason, 'no data on either side');
    const must = classifyMetric(series(base, empty, { mustHaveData: true }), settings);
    assert.deepEqual([must.classification, must.critical], ['NodataFailMetric', false]);
    const critical = classifyMetric(series([], base, { mustHaveData: true, critical: true }), settings);
    assert.deepEqual([critical.classification, critical.critical], ['Nodata', true]);
    assert.match(critical.reason, /^no data on the baseline side; the metric is critical/);
    const replaced = classifyMetric(series(base, [], { nanStrategy: 'replace', mustHaveData: true }), settings);
    assert.deepEqual([replaced.classification, replaced.critical], ['Pass', false]);
  });

  test('NaN points are removed, or replaced by 0, which can change the classification', () => {
    const canary = [...sample(100, 100, 5, 1), ...Array(60).fill(NaN)];
    const removed = classifyMetric(series(base, canary), settings);
    assert.equal(removed.classification, 'Pass');
    assert.equal(removed.canary.count, 100);
    assert.ok(removed.warnings.includes('canary: 60 NaN points removed'));
    const replaced = classifyMetric(series(base, canary, { nanStrategy: 'replace' }), settings);
    assert.equal(replaced.classification, 'Low');
    assert.equal(replaced.canary.count, 160);
    assert.equal(replaced.canary.min, 0);
    assert.ok(replaced.warnings.includes('canary: 60 NaN points replaced by 0'));
    const inf = classifyMetric(series(base, [...sample(100, 100, 5, 1), Infinity]), settings);
    assert.ok(inf.warnings.includes('canary: 1 infinite point removed'));
  });

  test('outliers beyond the IQR fences are removed when asked', () => {
    const canary = [...sample(100, 100, 5, 2), 5000, 9000];
    const kept = classifyMetric(series(base, canary), settings);
    assert.equal(kept.canary.max, 9000);
    const removed = classifyMetric(series(base, canary, { outliers: { strategy: 'remove', factor: 3 } }), settings);
    assert.equal(removed.canary.count, 100);
    assert.ok(removed.canary.max < 200);
    assert.match(removed.warnings.join('\n'), /canary: 2 outliers outside \[\d+(\.\d+)?, \d+(\.\d+)?\] removed/);
    const p = preprocess([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 'remove', { strategy: 'remove', factor: 1.5 });
    assert.deepEqual([...p.values], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a side with fewer than 50 points carries a warning; the mean ratio is NaN when a mean is 0', () => {
    const r = classifyMetric(series(sample(20, 0, 1), sample(20, 0, 1, 1)), settings);
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0]!, /^baseline has 20 points after preprocessing, fewer than 50/);
    const zero = classifyMetric(series([0, 0, 0], [1, 2, 3]), settings);
    assert.ok(Number.isNaN(zero.ratio));
    assert.match(zero.reason, /^canary mean 2 vs baseline mean 0/);
  });
});
