// The canary config file: which metrics to query, how to judge each, and how much each
// group of metrics weighs. Kayenta-inspired, with the checks Kayenta leaves to its UI or
// skips (weights summing to 100, groups that exist, unknown strings) done at load time,
// each error naming the file, the line and the path.
import { s, INVALID, suggest, type Issue, type ParseContext, type Path } from '../config/schema.ts';
import { loadYaml, type LoadedYaml } from '../config/yaml.ts';
import { ConfigError } from '../config/errors.ts';
import { Direction, EffectMeasure, NanStrategy, OutlierStrategy, DEFAULT_JUDGE_SETTINGS, type MetricConfig } from './types.ts';
import { templateVariables } from './query.ts';

/** Kayenta's default outlier factor. */
export const DEFAULT_OUTLIER_FACTOR = 3;

const GROUP_NAME = { pattern: /^\S(?:.*\S)?$/, text: 'a group name (not empty, no surrounding spaces)' };

// Thresholds are written in the measure's own unit, as Kayenta stores them: a ratio for
// meanRatio, a probability for cles. One number with one meaning per measure, rather than
// a ratio in one field and a percentage in another.
const RANGES = {
  [EffectMeasure.MeanRatio]: {
    increase: { min: 1, max: Infinity, text: 'a ratio of at least 1 (canary mean / baseline mean; 1.1 allows a 10% increase)' },
    decrease: { min: 0, max: 1, text: 'a ratio from 0 to 1 (canary mean / baseline mean; 0.9 allows a 10% decrease)' },
    default: 1,
  },
  [EffectMeasure.Cles]: {
    increase: { min: 0.5, max: 1, text: 'a probability from 0.5 to 1 (chance that a canary point exceeds a baseline point)' },
    decrease: { min: 0, max: 0.5, text: 'a probability from 0 to 0.5 (chance that a canary point exceeds a baseline point)' },
    default: 0.5,
  },
} as const;

const effectSizeSchema = s
  .object(
    {
      measure: s.enum(Object.values(EffectMeasure)).describe('meanRatio (default): canary mean / baseline mean. cles: the probability that a canary point exceeds a baseline point.'),
      allowedIncrease: s.number({ min: 0 }).describe('A significant increase fails the metric only when the effect reaches this. Default: 1 (meanRatio), 0.5 (cles): any significant increase fails.'),
      allowedDecrease: s.number({ min: 0 }).describe('A significant decrease fails the metric only when the effect is at or below this. Default: 1 (meanRatio), 0.5 (cles).'),
      criticalIncrease: s.number({ min: 0 }).describe('For a critical metric: an increase whose effect reaches this fails the whole canary. Default: as allowedIncrease\'s default.'),
      criticalDecrease: s.number({ min: 0 }).describe('For a critical metric: a decrease whose effect is at or below this fails the whole canary. Default: as allowedDecrease\'s default.'),
    },
    [],
    { validate: checkEffectSize },
  )
  .describe('How large a statistically significant change must be to fail the metric.');

function checkEffectSize(v: Record<string, unknown>, path: Path, ctx: ParseContext): void {
  const ranges = RANGES[(v.measure as EffectMeasure | undefined) ?? EffectMeasure.MeanRatio];
  for (const key of ['allowedIncrease', 'criticalIncrease', 'allowedDecrease', 'criticalDecrease'] as const) {
    const x = v[key] as number | undefined;
    if (x === undefined) continue;
    const range = key.endsWith('Increase') ? ranges.increase : ranges.decrease;
    if (x < range.min || x > range.max) ctx.issues.push({ path: [...path, key], message: `has the number ${x}; expected ${range.text}` });
  }
}

const metricSchema = s.object(
  {
    name: s.string({ minLength: 1 }).describe('Unique name of the metric; the report shows it.'),
    groups: s.array(s.string({ minLength: 1 }), { minItems: 1 }).describe('Groups the metric counts in; each must be declared under groups.'),
    query: s
      .string({ minLength: 1 })
      .describe('PromQL query template. ${scope}, ${location} and the stage\'s extra variables are substituted, escaped for where they stand; each returned series is judged.'),
    failOn: s.enum(Object.values(Direction)).describe('Which change fails the metric: increase, decrease or either (default).'),
    critical: s.boolean().describe('A critical metric that fails (or has no data) fails the whole canary with score 0. Default: false.'),
    mustHaveData: s.boolean().describe('No data fails the metric (NodataFailMetric) instead of leaving it out of the score (Nodata). Default: false.'),
    nanStrategy: s.enum(Object.values(NanStrategy)).describe('remove (default): NaN points are dropped. replace: NaN points count as 0, and a missing series passes.'),
    muted: s.boolean().describe('Judged and reported, but left out of the score. Default: false.'),
    effectSize: effectSizeSchema,
    outliers: s
      .object({
        strategy: s.enum(Object.values(OutlierStrategy)).describe('keep (default) or remove points outside the IQR fences.'),
        factor: s.number({ min: 0.01, max: 100 }).describe(`k in the fences min(P1, P25 − k·IQR) and max(P99, P75 + k·IQR). Default: ${DEFAULT_OUTLIER_FACTOR}.`),
      })
      .describe('Outlier removal before judging.'),
  },
  ['name', 'groups', 'query'],
);

export const canaryConfigSchema = s.object(
  {
    name: s.string({ minLength: 1 }).describe('Name of the canary config.'),
    description: s.string().describe('Free text for people reading the config and the report.'),
    judge: s
      .object({
        confidenceLevel: s.number({ min: 0.5, max: 0.9999 }).describe(`Confidence level of the Mann-Whitney interval. Default: ${DEFAULT_JUDGE_SETTINGS.confidenceLevel}.`),
        tolerance: s.number({ min: 0, max: 10 }).describe(`A shift counts only beyond ±tolerance·|estimate|. Default: ${DEFAULT_JUDGE_SETTINGS.tolerance}.`),
      })
      .describe('Settings of the statistical test; Kayenta hard-codes the defaults.'),
    groups: s.record(s.number({ min: 0, max: 100 }), GROUP_NAME).describe('Metric groups and their weights in the score; the weights sum to 100.'),
    metrics: s.array(metricSchema, { minItems: 1 }).describe('The metrics to judge.'),
  },
  ['name', 'groups', 'metrics'],
  { validate: checkConfig },
);

function checkConfig(v: { groups: Record<string, number>; metrics: { name: string; groups: string[]; query: string }[] }, path: Path, ctx: ParseContext): void {
  const issues: Issue[] = ctx.issues;
  const declared = Object.keys(v.groups);
  if (!declared.length) {
    issues.push({ path: [...path, 'groups'], message: 'declares no group; expected at least one group with weight 100' });
    return;
  }
  const sum = Object.values(v.groups).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 100) > 1e-9) {
    const listed = Object.entries(v.groups).map(([g, w]) => `${g}: ${w}`).join(', ');
    issues.push({ path: [...path, 'groups'], message: `has weights ${listed}, which sum to ${Number(sum.toFixed(9))}; expected weights that sum to exactly 100` });
  }
  const seen = new Map<string, number>();
  const used = new Set<string>();
  v.metrics.forEach((m, i) => {
    const at = [...path, 'metrics', i];
    if (seen.has(m.name)) issues.push({ path: [...at, 'name'], message: `repeats the name "${m.name}" of metrics[${seen.get(m.name)}]; expected unique metric names` });
    else seen.set(m.name, i);
    m.groups.forEach((g, j) => {
      used.add(g);
      if (!(g in v.groups)) {
        const hint = suggest(g, declared);
        issues.push({
          path: [...at, 'groups', j],
          message: `of metric "${m.name}" names the group "${g}", which is not declared under groups${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${declared.join(', ')}`,
        });
      }
    });
    try {
      templateVariables(m.query);
    } catch (e) {
      issues.push({ path: [...at, 'query'], message: `is not a valid template: ${(e as Error).message}` });
    }
  });
  for (const g of declared) {
    // An empty group would score 100 and hand its weight to the canary for free.
    if (!used.has(g)) issues.push({ path: [...path, 'groups', g], message: `is a group no metric belongs to; expected each group to hold at least one metric (add it to a metric's groups or remove it)` });
  }
}

export interface CanaryMetric extends MetricConfig {
  /** The PromQL template, variables not yet substituted. */
  query: string;
  /** Line of the metric in its file, for messages. */
  line?: number;
}

export interface CanaryConfig {
  name: string;
  description?: string;
  /** The file (or input) the config came from. */
  source: string;
  judge: { confidenceLevel: number; tolerance: number };
  groups: Record<string, number>;
  metrics: CanaryMetric[];
}

type ParsedMetric = {
  name: string;
  groups: string[];
  query: string;
  failOn?: Direction;
  critical?: boolean;
  mustHaveData?: boolean;
  nanStrategy?: NanStrategy;
  muted?: boolean;
  effectSize?: { measure?: EffectMeasure; allowedIncrease?: number; allowedDecrease?: number; criticalIncrease?: number; criticalDecrease?: number };
  outliers?: { strategy?: OutlierStrategy; factor?: number };
};

export function loadCanaryConfig(text: string, source: string): CanaryConfig {
  const doc = loadYaml(text, source);
  const ctx: ParseContext = { issues: [], deferReferences: false };
  const parsed = canaryConfigSchema.parse(doc.value ?? null, [], ctx);
  if (parsed === INVALID) throw problems(doc, ctx.issues);
  return {
    name: parsed.name,
    description: parsed.description,
    source,
    judge: {
      confidenceLevel: parsed.judge?.confidenceLevel ?? DEFAULT_JUDGE_SETTINGS.confidenceLevel,
      tolerance: parsed.judge?.tolerance ?? DEFAULT_JUDGE_SETTINGS.tolerance,
    },
    groups: parsed.groups,
    metrics: (parsed.metrics as ParsedMetric[]).map((m, i) => ({ ...withDefaults(m), line: doc.locate(['metrics', i])?.line })),
  };
}

function problems(doc: LoadedYaml, issues: Issue[]): ConfigError {
  return new ConfigError(
    issues.map((i) => {
      const pos = doc.locate(i.path);
      return { source: doc.source, path: i.path, line: pos?.line, column: pos?.column, message: i.message };
    }),
  );
}

function withDefaults(m: ParsedMetric): Omit<CanaryMetric, 'line'> {
  const measure = m.effectSize?.measure ?? EffectMeasure.MeanRatio;
  const neutral = RANGES[measure].default;
  return {
    name: m.name,
    groups: m.groups,
    query: m.query,
    direction: m.failOn ?? Direction.Either,
    critical: m.critical ?? false,
    mustHaveData: m.mustHaveData ?? false,
    nanStrategy: m.nanStrategy ?? NanStrategy.Remove,
    muted: m.muted ?? false,
    effectSize: {
      measure,
      allowedIncrease: m.effectSize?.allowedIncrease ?? neutral,
      allowedDecrease: m.effectSize?.allowedDecrease ?? neutral,
      criticalIncrease: m.effectSize?.criticalIncrease ?? neutral,
      criticalDecrease: m.effectSize?.criticalDecrease ?? neutral,
    },
    outliers: { strategy: m.outliers?.strategy ?? OutlierStrategy.Keep, factor: m.outliers?.factor ?? DEFAULT_OUTLIER_FACTOR },
  };
}
