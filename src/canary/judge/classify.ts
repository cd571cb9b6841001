// Steps 2–4 of the judge: classify one series pair as Pass, High, Low, Nodata,
// NodataFailMetric or Error, following Kayenta's MannWhitneyClassifier and NetflixACAJudge,
// and explain the outcome in one sentence.
import {
  Direction,
  EffectMeasure,
  MetricClassification,
  NanStrategy,
  type JudgeSettings,
  type MetricConfig,
  type MetricResult,
  type MetricSeries,
  type SideStats,
} from '../types.ts';
import { cles, mean, summarizeSorted } from '../stats/descriptive.ts';
import { mannWhitneySorted, type ShiftEstimate } from '../stats/mann-whitney.ts';
import { createRandom, seriesKey } from '../stats/random.ts';
import { sortAscending } from '../stats/sort.ts';
import { preprocess, type Prepared } from './preprocess.ts';

/** Spinnaker's rule of thumb: fewer points than this make a verdict shaky. */
export const MIN_RELIABLE_POINTS = 50;
/** Kayenta's jitter for two constant sides: σ = value · 1e-5. */
/** Relative spread under which a side counts as one repeated value (far below the jitter). */
const CONSTANT_TOLERANCE = 1e-9;
const NOISE_SCALE = 1e-5;

export function classifyMetric(series: MetricSeries, settings: JudgeSettings): MetricResult {
  const metric = series.metric;
  const baseline = preprocess(series.baseline, metric.nanStrategy, metric.outliers);
  const canary = preprocess(series.canary, metric.nanStrategy, metric.outliers);
  const result: MetricResult = {
    name: metric.name,
    labels: series.labels,
    groups: metric.groups,
    classification: MetricClassification.Pass,
    critical: false,
    muted: metric.muted,
    reason: '',
    ratio: NaN,
    baseline: summarizeSorted(baseline.values),
    canary: summarizeSorted(canary.values),
    warnings: [...sideWarnings('baseline', baseline, metric), ...sideWarnings('canary', canary, metric)],
  };
  result.ratio = ratioOf(result.baseline.mean, result.canary.mean);
  try {
    return { ...result, ...classify(metric, baseline.values, canary.values, result, settings, seriesKey(metric.name, series.labels)) };
  } catch (e) {
    // Kayenta drops the critical flag here; an unjudgeable critical metric should not
    // pass silently, so ours keeps it and the canary fails.
    return {
      ...result,
      classification: MetricClassification.Error,
      critical: metric.critical,
      reason: `could not be judged: ${(e as Error).message}`,
    };
  }
}

type Outcome = Pick<MetricResult, 'classification' | 'critical' | 'reason'> &
  Partial<Pick<MetricResult, 'ratio' | 'cles' | 'estimate' | 'confidenceInterval'>>;

function classify(
  metric: MetricConfig,
  baseline: Float64Array,
  canary: Float64Array,
  stats: { baseline: SideStats; canary: SideStats; ratio: number },
  settings: JudgeSettings,
  key: string,
): Outcome {
  if (baseline.length === 0 || canary.length === 0) return noData(metric, baseline.length, canary.length);

  if (sameElements(baseline, canary)) {
    return { classification: MetricClassification.Pass, critical: false, reason: 'canary and baseline data are identical' };
  }
  let ratio = stats.ratio;
  if (isConstant(baseline) && isConstant(canary)) {
    if (Math.abs(baseline[0]! - canary[0]!) <= CONSTANT_TOLERANCE * Math.max(Math.abs(baseline[0]!), Math.abs(canary[0]!))) {
      return { classification: MetricClassification.Pass, critical: false, reason: `both sides hold the single value ${fmt(baseline[0]!)}` };
    }
    // Two different constants are perfectly tied within each side, which leaves the rank
    // test nothing to work with; Kayenta jitters both by a relative 1e-5 — seeded here.
    const random = createRandom(settings.seed, key);
    canary = jitter(canary, random.gaussian);
    baseline = jitter(baseline, random.gaussian);
    // Kayenta reports the ratio of the jittered samples; it differs from the plain one by ~1e-5.
    ratio = ratioOf(mean(baseline), mean(canary));
  }

  if (baseline.length === 1 && canary.length === 1) {
    throw new Error('one observation on each side is too few to compare; lengthen the interval or shorten the query step');
  }
  const shift = mannWhitneySorted(canary, baseline, settings.confidenceLevel);
  // CLES costs one more pass over both samples: computed only when it is the effect measure.
  const clesValue = metric.effectSize.measure === EffectMeasure.Cles ? cles(canary, baseline) : undefined;
  const effect = clesValue ?? ratio;
  const bound = settings.tolerance * Math.abs(shift.estimate);
  const up = metric.direction !== Direction.Decrease;
  const down = metric.direction !== Direction.Increase;
  const higher = shift.lower > bound;
  const lower = shift.upper < -bound;
  const { allowedIncrease, allowedDecrease, criticalIncrease, criticalDecrease } = metric.effectSize;
  // The effect size only gates a significant shift; a NaN effect (a zero mean) cannot gate.
  const isHigh = up && higher && (Number.isNaN(effect) || effect >= allowedIncrease);
  const isLow = !isHigh && down && lower && (Number.isNaN(effect) || effect <= allowedDecrease);

  const facts: ReasonFacts = { shift, bound, ratio, effect, stats, metric, settings };
  const measured = {
    ratio,
    ...(clesValue === undefined ? {} : { cles: clesValue }),
    estimate: shift.estimate,
    confidenceInterval: { lower: shift.lower, upper: shift.upper },
  };
  if (isHigh || isLow) {
    const critical =
      metric.critical && (Number.isNaN(effect) || (isHigh ? effect >= criticalIncrease : effect <= criticalDecrease));
    return {
      ...measured,
      classification: isHigh ? MetricClassification.High : MetricClassification.Low,
      critical,
      reason: failureReason(isHigh, critical, facts),
    };
  }
  return { ...measured, classification: MetricClassification.Pass, critical: false, reason: passReason(higher, lower, facts) };
}

function noData(metric: MetricConfig, baselineCount: number, canaryCount: number): Outcome {
  const side = baselineCount === 0 && canaryCount === 0 ? 'either side' : baselineCount === 0 ? 'the baseline side' : 'the canary side';
  if (metric.nanStrategy === NanStrategy.Replace) {
    return { classification: MetricClassification.Pass, critical: false, reason: `no data on ${side}; with nanStrategy replace a missing series counts as Pass` };
  }
  if (metric.mustHaveData && !metric.critical) {
    return { classification: MetricClassification.NodataFailMetric, critical: false, reason: `no data on ${side}, and the metric must have data` };
  }
  return {
    classification: MetricClassification.Nodata,
    critical: metric.critical,
    reason: `no data on ${side}${metric.critical ? '; the metric is critical, so the canary fails' : ''}`,
  };
}

/**
 * One repeated value, up to floating-point noise: Prometheus computes the same quantile or
 * ratio with different rounding at different instants (0.0235 and 0.023500000000000004),
 * which a rank test would read as a real, perfectly separated difference, or fail on.
 * Sorted input: the spread is last − first.
 */
function isConstant(sorted: Float64Array): boolean {
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  return last - first <= CONSTANT_TOLERANCE * Math.max(Math.abs(first), Math.abs(last));
}

function sameElements(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function jitter(values: Float64Array, gaussian: () => number): Float64Array {
  const sd = values[0]! * NOISE_SCALE;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! + gaussian() * sd;
  return sortAscending(out);
}

/** Kayenta's mean ratio canary/baseline, NaN when either mean is 0 (or a side is empty). */
function ratioOf(baselineMean: number, canaryMean: number): number {
  return baselineMean === 0 || canaryMean === 0 ? NaN : canaryMean / baselineMean;
}

function sideWarnings(side: string, prepared: Prepared, metric: MetricConfig): string[] {
  const out: string[] = [];
  const n = prepared.values.length;
  if (n < MIN_RELIABLE_POINTS) {
    out.push(`${side} has ${n} point${n === 1 ? '' : 's'} after preprocessing, fewer than ${MIN_RELIABLE_POINTS}: the classification is less reliable; judge a longer window or a smaller step`);
  }
  const verb = metric.nanStrategy === NanStrategy.Replace ? 'replaced by 0' : 'removed';
  if (prepared.nan) out.push(`${side}: ${prepared.nan} NaN point${prepared.nan === 1 ? '' : 's'} ${verb}`);
  if (prepared.infinite) out.push(`${side}: ${prepared.infinite} infinite point${prepared.infinite === 1 ? '' : 's'} ${verb}`);
  if (prepared.outliers && prepared.fences) {
    out.push(`${side}: ${prepared.outliers} outlier${prepared.outliers === 1 ? '' : 's'} outside [${fmt(prepared.fences.lower)}, ${fmt(prepared.fences.upper)}] removed`);
  }
  return out;
}

interface ReasonFacts {
  shift: ShiftEstimate;
  bound: number;
  ratio: number;
  effect: number;
  stats: { baseline: SideStats; canary: SideStats };
  metric: MetricConfig;
  settings: JudgeSettings;
}

function failureReason(high: boolean, critical: boolean, f: ReasonFacts): string {
  const { allowedIncrease, allowedDecrease, criticalIncrease, criticalDecrease } = f.metric.effectSize;
  const parts = [`${meansText(f)}; ${intervalText(f)} is ${high ? `above +${fmt(f.bound)}` : `below −${fmt(f.bound)}`}`];
  if (!Number.isNaN(f.effect)) {
    parts.push(`${effectName(f)} ${fmt(f.effect)} ${high ? `reaches allowedIncrease ${fmt(allowedIncrease)}` : `reaches allowedDecrease ${fmt(allowedDecrease)}`}`);
  }
  if (critical) {
    parts.push(
      Number.isNaN(f.effect)
        ? 'critical metric'
        : `critical: ${effectName(f)} is beyond ${high ? `criticalIncrease ${fmt(criticalIncrease)}` : `criticalDecrease ${fmt(criticalDecrease)}`}`,
    );
  }
  return parts.join('; ');
}

function passReason(higher: boolean, lower: boolean, f: ReasonFacts): string {
  const { allowedIncrease, allowedDecrease } = f.metric.effectSize;
  const interval = intervalText(f);
  if (!higher && !lower) return `no significant shift: ${interval} overlaps ±${fmt(f.bound)} (${fmt(f.settings.tolerance)}·|estimate ${fmt(f.shift.estimate)}|)`;
  const upAllowed = f.metric.direction !== Direction.Decrease;
  const downAllowed = f.metric.direction !== Direction.Increase;
  if ((higher && !upAllowed) || (lower && !downAllowed)) {
    return `canary is significantly ${higher ? 'higher' : 'lower'} (${interval}), but only ${f.metric.direction}s fail this metric`;
  }
  return `canary is significantly ${higher ? 'higher' : 'lower'} (${interval}), but ${effectName(f)} ${fmt(f.effect)} is ${higher ? `below allowedIncrease ${fmt(allowedIncrease)}` : `above allowedDecrease ${fmt(allowedDecrease)}`}`;
}

function meansText(f: ReasonFacts): string {
  return Number.isNaN(f.ratio)
    ? `canary mean ${fmt(f.stats.canary.mean)} vs baseline mean ${fmt(f.stats.baseline.mean)}`
    : `canary mean ${fmt(f.ratio)}× baseline`;
}

function intervalText(f: ReasonFacts): string {
  const pct = Math.round(f.settings.confidenceLevel * 1000) / 10;
  return `the ${pct}% CI of the shift [${fmt(f.shift.lower)}, ${fmt(f.shift.upper)}]`;
}

function effectName(f: ReasonFacts): string {
  return f.metric.effectSize.measure === EffectMeasure.Cles ? 'CLES' : 'mean ratio';
}

/** Three significant digits, without exponent noise for ordinary magnitudes. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-4) return x.toPrecision(3);
  return String(Number(x.toPrecision(3)));
}
