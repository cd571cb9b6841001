import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { s, type Infer } from '../config/schema.ts';
import { duration } from '../config/fields.ts';
import { formatDuration } from '../config/duration.ts';
import { StageError, type StageContext, type StageType, type OutputValue } from '../pipeline/types.ts';
import { loadCanaryConfig, type CanaryConfig } from '../canary/config.ts';
import { templateVariables } from '../canary/query.ts';
import { DEFAULT_JUDGE_SETTINGS } from '../canary/types.ts';
import { metricStoreSchema, type MetricStore, type MetricStoreConfig } from '../metrics/store.ts';
import { createPrometheusStore } from '../metrics/prometheus.ts';
import { AnalysisStatus, runAnalysis, type AnalysisPlan, type Clock } from '../analysis/loop.ts';
import { renderCanarySummary } from '../analysis/report.ts';
import { ConfigError } from '../config/errors.ts';
import { workspacePath } from '../runner.ts';
import { sleep } from '../util/sleep.ts';

const isoTime = () => s.string({ pattern: /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/, patternText: 'an ISO-8601 time such as 2026-05-01T10:00:00Z' });

const schema = s.object(
  {
    metricStore: s
      .union<string | MetricStoreConfig>([s.string({ minLength: 1 }), metricStoreSchema], 'the name of a metric store declared under metricStores, or a metric store mapping')
      .describe('Where to query: a name from the pipeline\'s metricStores, or a Prometheus endpoint inline.'),
    canaryConfig: s
      .union<string | Record<string, unknown>>([s.string({ minLength: 1 }), s.record(s.any())], 'a canary config file path, or a canary config mapping')
      .describe('The canary config: a YAML file in the workspace, or the config inline.'),
    lifetime: duration().describe('Total analysis time (real-time mode).'),
    delay: duration().describe('Wait this long before the analysis window opens (warm-up). Default: 0.'),
    interval: duration().describe('Judge every interval; the window grows by one interval each time. Default: the lifetime (one judgement).'),
    step: duration().describe('Resolution of the queried series. Default: 60s.'),
    baselineOffset: duration().describe('Query the baseline this much earlier than the canary. Default: 0.'),
    lookback: duration().describe('Judge a sliding window of this length instead of the whole window so far.'),
    startTime: isoTime().describe('Retrospective analysis: judge the past from here (no waiting). Needs endTime.'),
    endTime: isoTime().describe('Retrospective analysis: judge the past up to here.'),
    baseline: s.string({ minLength: 1 }).describe('Baseline scope: the ${scope} value that selects the old version\'s series.'),
    baselineLocation: s.string().describe('Baseline ${location} value.'),
    canary: s.string({ minLength: 1 }).describe('Canary scope: the ${scope} value that selects the new version\'s series.'),
    canaryLocation: s.string().describe('Canary ${location} value.'),
    scopeVariables: s.record(s.string(), { pattern: /^[A-Za-z_]\w*$/, text: 'a variable name' }).describe('Extra template variables, the same on both sides.'),
    marginal: s.number({ min: 0, max: 100 }).describe('A score at or below this fails the stage at once. Default: 50.'),
    pass: s.number({ min: 0, max: 100 }).describe('The final score must reach this. Default: 75.'),
    confidenceLevel: s.number({ min: 0.5, max: 0.9999 }).describe('Overrides the canary config\'s confidence level.'),
    tolerance: s.number({ min: 0, max: 10 }).describe('Overrides the canary config\'s tolerance.'),
    seed: s.number({ integer: true }).describe('Seed of the noise added to two constant sides, for reproducible verdicts. Default: 0.'),
    checkConnection: s.boolean().describe('Check the metric store answers before waiting for the first interval. Default: true.'),
    queryRetryWindow: duration().describe('How long a query failing with a connection error, timeout or 5xx is retried before the stage fails. Default: the interval, at least 30s.'),
  },
  ['metricStore', 'canaryConfig', 'baseline', 'canary'],
  {
    validate: (v, p, ctx) => {
      const retro = v.startTime !== undefined || v.endTime !== undefined;
      if (retro && (v.startTime === undefined || v.endTime === undefined))
        ctx.issues.push({ path: [...p, v.startTime === undefined ? 'startTime' : 'endTime'], message: 'is missing; expected both startTime and endTime for a retrospective analysis' });
      else if (retro && Date.parse(v.endTime!) <= Date.parse(v.startTime!)) ctx.issues.push({ path: [...p, 'endTime'], message: `is not after startTime ${v.startTime}` });
      if (!retro && v.lifetime === undefined) ctx.issues.push({ path: [...p, 'lifetime'], message: 'is required (or give startTime and endTime); expected a duration such as 30m' });
      if (v.lifetime !== undefined && v.interval !== undefined && v.interval > v.lifetime)
        ctx.issues.push({ path: [...p, 'interval'], message: `is ${formatDuration(v.interval)}, longer than the lifetime ${formatDuration(v.lifetime)}` });
      if ((v.marginal ?? 50) >= (v.pass ?? 75)) ctx.issues.push({ path: [...p, 'marginal'], message: `is ${v.marginal ?? 50}, not below pass ${v.pass ?? 75}` });
      if (v.step !== undefined && v.step < 1000) ctx.issues.push({ path: [...p, 'step'], message: 'is under 1s; expected at least 1s' });
    },
  },
);

export type CanaryAnalysisConfig = Infer<typeof schema>;

export const realClock: Clock = { now: () => Date.now(), sleep };

function loadConfig(c: CanaryAnalysisConfig, ctx: StageContext): CanaryConfig {
  try {
    if (typeof c.canaryConfig === 'string') {
      const file = workspacePath(ctx.workspace, c.canaryConfig, 'canaryConfig');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new StageError(`canaryConfig: cannot read ${c.canaryConfig}: ${(e as Error).message}`);
      }
      return loadCanaryConfig(text, c.canaryConfig);
    }
    return loadCanaryConfig(stringify(c.canaryConfig), `stage ${ctx.stageId} canaryConfig`);
  } catch (e) {
    if (e instanceof ConfigError) throw new StageError(`invalid canary config:\n${e.message}`);
    throw e;
  }
}

export function makeStore(ref: string | MetricStoreConfig, ctx: StageContext): MetricStore {
  let name = 'inline';
  let config: MetricStoreConfig;
  if (typeof ref === 'string') {
    const found = ctx.metricStores[ref];
    if (!found) throw new StageError(`metricStore: the pipeline declares no metric store "${ref}"; declared: ${Object.keys(ctx.metricStores).join(', ') || '(none; add one under metricStores)'}`);
    name = ref;
    config = found;
  } else config = ref;
  return createPrometheusStore(name, config, {
    workspace: ctx.workspace,
    resolveSecret: (v, field) => {
      if (v === undefined) return undefined;
      let value: string | undefined;
      if (typeof v === 'string') value = v;
      else if (v.fromEnv !== undefined) {
        value = ctx.env[v.fromEnv];
        if (value === undefined) throw new StageError(`metric store "${name}" ${field}: the environment variable ${v.fromEnv} is not set; set it from a secret in the step's env`);
      } else value = v.value;
      ctx.addSecret(value ?? '');
      return value;
    },
  });
}

export function planFrom(c: CanaryAnalysisConfig, config: CanaryConfig): AnalysisPlan {
  const retro = c.startTime !== undefined;
  const span = retro ? Date.parse(c.endTime!) - Date.parse(c.startTime!) : c.lifetime!;
  const intervalMs = c.interval ?? span;
  return {
    metrics: config.metrics.map((m) => ({ config: m, query: m.query })),
    groupWeights: config.groups,
    judge: {
      ...DEFAULT_JUDGE_SETTINGS,
      confidenceLevel: c.confidenceLevel ?? config.judge.confidenceLevel,
      tolerance: c.tolerance ?? config.judge.tolerance,
      seed: c.seed ?? 0,
      marginal: c.marginal ?? 50,
      pass: c.pass ?? 75,
    },
    baseline: { scope: c.baseline, location: c.baselineLocation ?? '' },
    canary: { scope: c.canary, location: c.canaryLocation ?? '' },
    extra: c.scopeVariables ?? {},
    timing: retro
      ? { mode: 'retrospective', startMs: Date.parse(c.startTime!), endMs: Date.parse(c.endTime!), intervalMs, lookbackMs: c.lookback }
      : { mode: 'realtime', lifetimeMs: c.lifetime!, delayMs: c.delay ?? 0, intervalMs, lookbackMs: c.lookback },
    stepSeconds: Math.round((c.step ?? 60_000) / 1000),
    baselineOffsetMs: c.baselineOffset ?? 0,
    queryRetryMs: c.queryRetryWindow ?? Math.max(intervalMs, 30_000),
  };
}

/** Every template variable must have a value before any waiting starts. */
function checkVariables(c: CanaryAnalysisConfig, config: CanaryConfig): void {
  const given: Record<string, string | undefined> = { scope: c.baseline, ...(c.scopeVariables ?? {}) };
  for (const m of config.metrics) {
    for (const v of templateVariables(m.query)) {
      if (v === 'location') {
        if (c.baselineLocation === undefined || c.canaryLocation === undefined)
          throw new StageError(`metric "${m.name}" uses \${location}, but the stage gives no ${c.baselineLocation === undefined ? 'baselineLocation' : 'canaryLocation'}`);
      } else if (!(v in given))
        throw new StageError(`metric "${m.name}" uses \${${v}}, which has no value; give it under scopeVariables (known: scope, location${Object.keys(c.scopeVariables ?? {}).map((k) => `, ${k}`).join('')})`);
    }
  }
}

export const canaryAnalysis: StageType<CanaryAnalysisConfig> = {
  type: 'canary-analysis',
  description: 'Judges a canary against its baseline from Prometheus, Kayenta-style: a score out of 100 after every interval; at or below marginal fails at once, the final score must reach pass.',
  schema,
  outputs: {
    score: 'The last score (0–100).',
    classification: 'Pass, Marginal or Fail (of the last score).',
    outcome: 'passed, failed, cancelled or error.',
    intervalScores: 'JSON list of the score after each interval.',
    report: 'Path of the JSON report (written on success, failure and cancellation).',
  },
  async run(c: CanaryAnalysisConfig, ctx: StageContext) {
    return analyse(c, ctx, realClock);
  },
};

export async function analyse(c: CanaryAnalysisConfig, ctx: StageContext, clock: Clock) {
  const config = loadConfig(c, ctx);
  checkVariables(c, config);
  const store = makeStore(c.metricStore, ctx);
  const plan = planFrom(c, config);
  if (c.checkConnection !== false) {
    try {
      const { version } = await store.check(ctx.signal);
      ctx.log.info(`metric store ${store.name} (${store.url}): Prometheus ${version}`);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      throw new StageError(`connection check failed: ${(e as Error).message}`);
    }
  }
  const t = plan.timing;
  ctx.log.info(
    t.mode === 'realtime'
      ? `real-time analysis of ${config.metrics.length} metric(s) for ${formatDuration(t.lifetimeMs)}: delay ${formatDuration(t.delayMs)}, every ${formatDuration(t.intervalMs)}, step ${plan.stepSeconds}s`
      : `retrospective analysis of ${config.metrics.length} metric(s) from ${c.startTime} to ${c.endTime}`,
  );
  // One file per run: a job may run the same pipeline twice, and reports must never overwrite each other.
  const reportPath = path.join(ctx.reportDir, `${ctx.stageId}.${new Date(clock.now()).toISOString().replace(/[:.]/g, '-')}.${process.pid}-${Math.random().toString(16).slice(2, 8)}.canary.json`);
  const outcome = await runAnalysis(plan, store, { clock, signal: ctx.signal, log: ctx.log });
  mkdirSync(ctx.reportDir, { recursive: true });
  writeFileSync(
    reportPath,
    JSON.stringify({ stage: ctx.stageId, canaryConfig: config.name, metricStore: { name: store.name, url: store.url }, plan: { ...plan, metrics: plan.metrics.map((m) => ({ name: m.config.name, query: m.query, groups: m.config.groups })) }, outcome }, null, 2) + '\n',
  );
  const last = outcome.intervals.at(-1);
  const outputs: Record<string, OutputValue> = {
    score: last?.score ?? 0,
    classification: last?.classification ?? 'Fail',
    outcome: outcome.status,
    intervalScores: outcome.intervals.map((r) => r.score),
    report: reportPath,
  };
  const summary = renderCanarySummary(outcome, plan, config.name, reportPath);
  if (outcome.status !== AnalysisStatus.Passed) throw new StageError(`canary ${outcome.status}: ${outcome.reason}`, outputs, summary);
  return { outputs, summary };
}

