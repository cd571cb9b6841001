// The canary judge, a port of Kayenta's NetflixACAJudge-v1.0: preprocess each side,
// classify each series pair with a Mann-Whitney test gated by an effect size, score the
// groups and classify the summary score. Pure: no I/O, no clock, randomness only seeded.
import type { JudgeSettings, MetricSeries, Verdict } from '../types.ts';
import { classifyMetric } from './classify.ts';
import { scoreResults } from './score.ts';

export function judge(series: MetricSeries[], groupWeights: Record<string, number>, settings: JudgeSettings): Verdict {
  checkSettings(groupWeights, settings);
  const metrics = series.map((s) => classifyMetric(s, settings));
  const { score, classification, reason, groups } = scoreResults(metrics, groupWeights, settings);
  return { score, classification, reason, groups, metrics };
}

/** Programming errors, not data problems: the config loader never lets these through. */
function checkSettings(groupWeights: Record<string, number>, s: JudgeSettings): void {
  if (!(s.confidenceLevel > 0 && s.confidenceLevel < 1)) throw new RangeError(`confidenceLevel ${s.confidenceLevel} must be between 0 and 1`);
  if (!(s.tolerance >= 0)) throw new RangeError(`tolerance ${s.tolerance} must be 0 or more`);
  if (!(s.marginal <= s.pass)) throw new RangeError(`marginal threshold ${s.marginal} must not exceed the pass threshold ${s.pass}`);
  if (!Number.isFinite(s.seed)) throw new RangeError(`seed ${s.seed} must be a finite number`);
  let sum = 0;
  for (const [g, w] of Object.entries(groupWeights)) {
    if (!(w >= 0 && w <= 100)) throw new RangeError(`weight ${w} of group "${g}" must be from 0 to 100`);
    sum += w;
  }
  if (sum > 100 + 1e-9) throw new RangeError(`group weights sum to ${sum}, more than 100`);
}

export { classifyMetric } from './classify.ts';
export { scoreResults, classifyScore, roundHalfUp } from './score.ts';
export { preprocess, iqrFences } from './preprocess.ts';
