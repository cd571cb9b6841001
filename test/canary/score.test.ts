import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classifyScore, roundHalfUp, scoreResults } from '../../src/canary/judge/score.ts';
import { judge } from '../../src/canary/judge/index.ts';
import { result, sample, series, settings } from './helpers.ts';

const thresholds = { marginal: 50, pass: 75 };

describe('scoring', () => {
  test('a group scores 100·Pass / (Pass + High + Low + NodataFailMetric); Nodata and Error are left out', () => {
    const s = scoreResults(
      [
        result({ classification: 'Pass' }),
        result({ classification: 'Pass' }),
        result({ classification: 'High' }),
        result({ classification: 'NodataFailMetric' }),
        result({ classification: 'Nodata' }),
        result({ classification: 'Error' }),
      ],
      { g: 100 },
      thresholds,
    );
    assert.deepEqual(s.groups, [{ name: 'g', weight: 100, score: 50, counts: { Pass: 2, High: 1, Low: 0, Nodata: 1, NodataFailMetric: 1, Error: 1 } }]);
    assert.equal(s.score, 50);
    assert.equal(s.classification, 'Fail');
  });

  test('the summary weighs group scores; a metric counts in each of its groups', () => {
    const s = scoreResults(
      [result({ groups: ['errors'], classification: 'High' }), result({ groups: ['latency', 'errors'] }), result({ groups: ['latency'] })],
      { errors: 60, latency: 40 },
      thresholds,
    );
    assert.deepEqual(s.groups.map((g) => [g.name, g.weight, g.score]), [['errors', 60, 50], ['latency', 40, 100]]);
    assert.equal(s.score, 70);
    assert.equal(s.classification, 'Marginal');
    assert.equal(s.reason, 'score 70 is above the marginal threshold 50 but below the pass threshold 75: group scores errors 50 × 60%, latency 100 × 40%');
  });

  test('groups without a configured weight share what is left of 100', () => {
    const s = scoreResults(
      [result({ groups: ['a'], classification: 'Low' }), result({ groups: ['b'] }), result({ groups: ['c'] })],
      { a: 40 },
      thresholds,
    );
    assert.deepEqual(s.groups.map((g) => [g.name, g.weight]), [['a', 40], ['b', 30], ['c', 30]]);
    assert.equal(s.score, 60);
  });

  test('an empty group counts 100: only Nodata, only Error, or only muted metrics', () => {
    const s = scoreResults(
      [
        result({ groups: ['a'], classification: 'High' }),
        result({ groups: ['b'], classification: 'Error' }),
        result({ groups: ['c'], classification: 'High', muted: true }),
        result({ groups: ['a'] }),
        result({ groups: ['a'] }),
        result({ groups: ['a'] }),
      ],
      { a: 50, b: 25, c: 25 },
      thresholds,
    );
    assert.deepEqual(s.groups.map((g) => [g.name, g.score]), [['a', 75], ['b', 100], ['c', 100]]);
    assert.equal(s.score, 87.5);
    assert.equal(s.classification, 'Pass');
  });

  test('muted results are reported but never scored, not even when critical', () => {
    const s = scoreResults([result({ classification: 'High', critical: true, muted: true }), result()], { g: 100 }, thresholds);
    assert.equal(s.score, 100);
    assert.equal(s.groups[0]!.counts.High, 0);
  });

  test('any critical failure forces the score to 0, naming the metric', () => {
    const s = scoreResults(
      [result({ name: 'p99', labels: { pod: 'a' }, classification: 'High', critical: true, reason: 'much slower' }), result(), result()],
      { g: 100 },
      thresholds,
    );
    assert.equal(s.score, 0);
    assert.equal(s.classification, 'Fail');
    assert.equal(s.reason, 'score 0 is at or below the marginal threshold 50: critical metric "p99" {pod="a"} is High: much slower');
    assert.equal(s.groups[0]!.score, 200 / 3, 'group scores are still reported');
  });

  test('50% or more Nodata results force the score to 0', () => {
    const half = scoreResults([result({ classification: 'Nodata' }), result()], { g: 100 }, thresholds);
    assert.equal(half.score, 0);
    assert.match(half.reason, /1 of 2 scored results had no data; 50% or more without data fails the canary$/);
    const less = scoreResults([result({ classification: 'Nodata' }), result(), result()], { g: 100 }, thresholds);
    assert.equal(less.score, 100);
  });

  test('the score is rounded half up to 2 decimals, like Commons Math', () => {
    const s = scoreResults([result({ groups: ['a'] }), result({ groups: ['a'] }), result({ groups: ['a'], classification: 'Low' })], { a: 100 }, thresholds);
    assert.equal(s.score, 66.67);
    assert.equal(roundHalfUp(66.665, 2), 66.67);
    assert.equal(roundHalfUp(1.005, 2), 1.01);
    assert.equal(roundHalfUp(2.5e-7, 2), 0);
    assert.equal(roundHalfUp(42, 2), 42);
  });

  test('classification: at or below marginal fails (as orca fails the stage), below pass is Marginal', () => {
    assert.equal(classifyScore(50, thresholds), 'Fail');
    assert.equal(classifyScore(50.01, thresholds), 'Marginal');
    assert.equal(classifyScore(74.99, thresholds), 'Marginal');
    assert.equal(classifyScore(75, thresholds), 'Pass');
    assert.equal(classifyScore(0, { marginal: 0, pass: 0 }), 'Fail');
  });
});

describe('judge', () => {
  const data = () => [
    series(sample(120, 100, 5), sample(120, 112, 5, 1), { name: 'latency', groups: ['performance'] }),
    series(sample(120, 10, 1), sample(120, 10, 1, 2), { name: 'errors', groups: ['errors'] }),
    series(Array(80).fill(3), Array(80).fill(4), { name: 'constant', groups: ['errors'] }, { pod: 'x' }),
  ];

  test('the verdict combines classifications, group scores and the summary', () => {
    const v = judge(data(), { performance: 50, errors: 50 }, settings);
    assert.deepEqual(v.metrics.map((m) => [m.name, m.classification]), [['latency', 'High'], ['errors', 'Pass'], ['constant', 'High']]);
    assert.deepEqual(v.groups.map((g) => [g.name, g.score]), [['performance', 0], ['errors', 50]]);
    assert.equal(v.score, 25);
    assert.equal(v.classification, 'Fail');
  });

  test('the same inputs and seed give the identical verdict', () => {
    const a = judge(data(), { performance: 50, errors: 50 }, settings);
    const b = judge(data(), { performance: 50, errors: 50 }, settings);
    assert.deepEqual(b, a);
    assert.equal(JSON.stringify(b), JSON.stringify(a));
  });

  test('a series\' noise does not depend on the other series judged with it', () => {
    const alone = judge([data()[2]!], {}, settings).metrics[0]!;
    const together = judge(data(), { performance: 50, errors: 50 }, settings).metrics[2]!;
    assert.deepEqual(together, alone);
  });

  test('invalid settings are refused', () => {
    assert.throws(() => judge([], {}, { ...settings, confidenceLevel: 1 }), /confidenceLevel 1 must be between 0 and 1/);
    assert.throws(() => judge([], {}, { ...settings, marginal: 80, pass: 70 }), /must not exceed the pass threshold/);
    assert.throws(() => judge([], { a: 70, b: 40 }, settings), /group weights sum to 110/);
  });
});
