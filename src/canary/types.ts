// The canary judge's vocabulary: the wire strings of the canary config and of the verdict,
// and the shapes that flow between the judge's steps.

/** Which change of the canary relative to the baseline fails a metric. */
export const Direction = { Increase: 'increase', Decrease: 'decrease', Either: 'either' } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/** What happens to NaN (and infinite) points before judging. */
export const NanStrategy = { Remove: 'remove', Replace: 'replace' } as const;
export type NanStrategy = (typeof NanStrategy)[keyof typeof NanStrategy];

/** How the size of a significant shift is measured before it may fail a metric. */
export const EffectMeasure = { MeanRatio: 'meanRatio', Cles: 'cles' } as const;
export type EffectMeasure = (typeof EffectMeasure)[keyof typeof EffectMeasure];

export const OutlierStrategy = { Keep: 'keep', Remove: 'remove' } as const;
export type OutlierStrategy = (typeof OutlierStrategy)[keyof typeof OutlierStrategy];

export const MetricClassification = {
  Pass: 'Pass',
  High: 'High',
  Low: 'Low',
  Nodata: 'Nodata',
  NodataFailMetric: 'NodataFailMetric',
  Error: 'Error',
} as const;
export type MetricClassification = (typeof MetricClassification)[keyof typeof MetricClassification];

export const ScoreClassification = { Pass: 'Pass', Marginal: 'Marginal', Fail: 'Fail' } as const;
export type ScoreClassification = (typeof ScoreClassification)[keyof typeof ScoreClassification];

export interface EffectSize {
  measure: EffectMeasure;
  /**
   * Thresholds in the measure's own unit: for meanRatio the ratio canary mean / baseline
   * mean (1.1 = 10% higher), for cles the probability that a canary point exceeds a
   * baseline point (0.5 = no difference).
   */
  allowedIncrease: number;
  allowedDecrease: number;
  criticalIncrease: number;
  criticalDecrease: number;
}

export interface Outliers {
  strategy: OutlierStrategy;
  /** k in the IQR fences P25 − k·IQR and P75 + k·IQR. */
  factor: number;
}

/** One metric's analysis settings, every default already filled in. */
export interface MetricConfig {
  name: string;
  groups: string[];
  direction: Direction;
  critical: boolean;
  mustHaveData: boolean;
  nanStrategy: NanStrategy;
  muted: boolean;
  effectSize: EffectSize;
  outliers: Outliers;
}

export interface JudgeSettings {
  confidenceLevel: number;
  /** Shifts within ±tolerance·|estimate| of zero are not significant. */
  tolerance: number;
  /** Seeds the noise added to two constant sides, so a verdict is reproducible. */
  seed: number;
  /** A score at or below this fails. */
  marginal: number;
  /** A score at or above this passes; between marginal and pass is Marginal. */
  pass: number;
}

export const DEFAULT_JUDGE_SETTINGS: JudgeSettings = {
  confidenceLevel: 0.98,
  tolerance: 0.25,
  seed: 0,
  marginal: 50,
  pass: 75,
};

/** One series pair to judge: the points of the baseline and of the canary, NaN allowed. */
export interface MetricSeries {
  metric: MetricConfig;
  labels: Record<string, string>;
  baseline: number[];
  canary: number[];
}

/** Statistics of one side after preprocessing; NaN when the side has no points. */
export interface SideStats {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface MetricResult {
  name: string;
  labels: Record<string, string>;
  groups: string[];
  classification: MetricClassification;
  /** True when this result is a critical failure: it forces the score to 0. */
  critical: boolean;
  muted: boolean;
  /** One sentence explaining the classification. */
  reason: string;
  /** Canary mean / baseline mean; NaN when either mean is 0 or a side is empty. */
  ratio: number;
  /** The common language effect size, when it is the metric's effect measure. */
  cles?: number;
  /** The Mann-Whitney estimate of the shift canary − baseline. */
  estimate?: number;
  confidenceInterval?: { lower: number; upper: number };
  baseline: SideStats;
  canary: SideStats;
  warnings: string[];
}

export type ClassificationCounts = Record<MetricClassification, number>;

export interface GroupResult {
  name: string;
  /** The weight used in the summary, after sharing the remainder among unweighted groups. */
  weight: number;
  /** 100·Pass / (Pass + High + Low + NodataFailMetric); 100 when none of those remain. */
  score: number;
  counts: ClassificationCounts;
}

export interface Verdict {
  /** 0..100, rounded to 2 decimals. */
  score: number;
  classification: ScoreClassification;
  reason: string;
  groups: GroupResult[];
  metrics: MetricResult[];
}
