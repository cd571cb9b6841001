// The canary analysis loop (orca's kayentaCanary): it owns time and the retry counters;
// the judge stays pure. Time is injected, so tests can run it without waiting.
import { judge } from '../canary/judge/index.ts';
import { renderQuery } from '../canary/query.ts';
import type { JudgeSettings, MetricConfig, MetricSeries, Verdict } from '../canary/types.ts';
import { MetricStoreError, type MetricStore, type Series } from '../metrics/store.ts';
import type { Logger } from '../log/logger.ts';
import { formatDuration } from '../config/duration.ts';

export interface AnalysisMetric {
  config: MetricConfig;
  /** PromQL template with ${scope}, ${location} and extra variables. */
  query: string;
}

export interface Side {
  scope: string;
  location: string;
}

export interface AnalysisPlan {
  metrics: AnalysisMetric[];
  groupWeights: Record<string, number>;
  judge: JudgeSettings;
  baseline: Side;
  canary: Side;
  /** Extra scope variables, substituted on both sides. */
  extra: Record<string, string>;
  /** Real time: windows grow from start + delay; retrospective: explicit start and end, no waiting. */
  timing:
    | { mode: 'realtime'; lifetimeMs: number; delayMs: number; intervalMs: number; lookbackMs?: number }
    | { mode: 'retrospective'; startMs: number; endMs: number; intervalMs: number; lookbackMs?: number };
  stepSeconds: number;
  /** The baseline window is the canary window shifted back by this much. */
  baselineOffsetMs: number;
  /** How long to keep retrying a query that fails transiently (connection, timeout, 5xx). */
  queryRetryMs: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface RanQuery {
  metric: string;
  side: 'baseline' | 'canary';
  query: string;
  start: string;
  end: string;
  step: number;
  series: number;
}

export interface IntervalResult {
  index: number;
  window: { start: string; end: string };
  baselineWindow: { start: string; end: string };
  score: number;
  classification: Verdict['classification'];
  verdict: Verdict;
  queries: RanQuery[];
  /** When the verdict was reached (ms since the epoch), for time-to-verdict measurements. */
  at: number;
}

export const AnalysisStatus = { Passed: 'passed', Failed: 'failed', Cancelled: 'cancelled', Error: 'error' } as const;
export type AnalysisStatus = (typeof AnalysisStatus)[keyof typeof AnalysisStatus];

export interface AnalysisOutcome {
  status: AnalysisStatus;
  reason: string;
  intervals: IntervalResult[];
  plannedIntervals: number;
}

/** Windows of each run: [start + delay, start + delay + i·interval], or the last `lookback` of it. */
export function planWindows(plan: AnalysisPlan, t0: number): { start: number; end: number }[] {
  const t = plan.timing;
  const begin = t.mode === 'realtime' ? t0 + t.delayMs : t.startMs;
  const span = t.mode === 'realtime' ? t.lifetimeMs : t.endMs - t.startMs;
  const n = Math.max(1, Math.floor(span / t.intervalMs));
  return Array.from({ length: n }, (_, i) => {
    const end = i === n - 1 ? begin + span : begin + (i + 1) * t.intervalMs;
    return { start: t.lookbackMs ? Math.max(begin, end - t.lookbackMs) : begin, end };
  });
}

/**
 * Pairs baseline and canary series by label set. Labels whose value is the side's own
 * scope or location (e.g. scope="canary") are left out of the key, so a query that keeps
 * those labels still pairs; a series with no partner is judged against no data.
 */
export function pairSeries(metric: MetricConfig, baseline: Series[], canary: Series[], plan: Pick<AnalysisPlan, 'baseline' | 'canary'>): MetricSeries[] {
  const key = (labels: Record<string, string>, side: Side) =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([, v]) => v !== side.scope && v !== side.location)
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  const values = (s: Series) => s.points.map(([, v]) => v);
  const pairs = new Map<string, { labels: Record<string, string>; baseline: number[]; canary: number[] }>();
  for (const s of baseline) pairs.set(key(s.labels, plan.baseline), { labels: s.labels, baseline: values(s), canary: [] });
  for (const s of canary) {
    const k = key(s.labels, plan.canary);
    const p = pairs.get(k);
    if (p) p.canary = values(s);
    else pairs.set(k, { labels: s.labels, baseline: [], canary: values(s) });
  }
  if (!pairs.size) return [{ metric, labels: {}, baseline: [], canary: [] }];
  return [...pairs.values()].map((p) => ({ metric, labels: p.labels, baseline: p.baseline, canary: p.canary }));
}

async function queryWithRetry(store: MetricStore, query: string, range: { start: Date; end: Date; stepSeconds: number }, o: { plan: AnalysisPlan; clock: Clock; signal: AbortSignal; log: Logger }): Promise<Series[]> {
  const deadline = o.clock.now() + o.plan.queryRetryMs;
  let wait = 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.queryRange(query, range, o.signal);
    } catch (e) {
      if (o.signal.aborted) throw o.signal.reason;
      const transient = e instanceof MetricStoreError && e.transient;
      if (!transient || o.clock.now() + wait > deadline)
        throw new AnalysisError(`${(e as Error).message}${transient ? ` (gave up after ${attempt} attempt(s) over ${formatDuration(o.plan.queryRetryMs)})` : ''}`);
      o.log.warn(`${(e as Error).message}; retrying in ${formatDuration(wait)} (attempt ${attempt + 1})`);
      await o.clock.sleep(wait, o.signal);
      wait = Math.min(wait * 2, 8000);
    }
  }
}

export class AnalysisError extends Error {
  override name = 'AnalysisError';
}

export async function runAnalysis(
  plan: AnalysisPlan,
  store: MetricStore,
  o: { clock: Clock; signal: AbortSignal; log: Logger; onInterval?: (r: IntervalResult) => void },
): Promise<AnalysisOutcome> {
  const t0 = o.clock.now();
  const windows = planWindows(plan, t0);
  const intervals: IntervalResult[] = [];
  const outcome = (status: AnalysisStatus, reason: string): AnalysisOutcome => ({ status, reason, intervals, plannedIntervals: windows.length });
  const { marginal, pass } = plan.judge;
  try {
    for (const [i, w] of windows.entries()) {
      if (plan.timing.mode === 'realtime') {
        const wait = w.end - o.clock.now();
        if (wait > 0) {
          o.log.info(`interval ${i + 1}/${windows.length}: judging at ${new Date(w.end).toISOString()} (in ${formatDuration(wait)})`);
          await o.clock.sleep(wait, o.signal);
        }
      }
      const offset = plan.baselineOffsetMs;
      const queries: RanQuery[] = [];
      const series: MetricSeries[] = [];
      const step = plan.stepSeconds;
      for (const m of plan.metrics) {
        const sides = {} as Record<'baseline' | 'canary', Series[]>;
        for (const side of ['baseline', 'canary'] as const) {
          const s = plan[side];
          const query = renderQuery(m.query, { ...plan.extra, scope: s.scope, location: s.location }, m.config.name);
          const shift = side === 'baseline' ? offset : 0;
          const range = { start: new Date(w.start - shift), end: new Date(w.end - shift), stepSeconds: step };
          sides[side] = await queryWithRetry(store, query, range, { plan, clock: o.clock, signal: o.signal, log: o.log });
          queries.push({ metric: m.config.name, side, query, start: range.start.toISOString(), end: range.end.toISOString(), step, series: sides[side].length });
        }
        series.push(...pairSeries(m.config, sides.baseline, sides.canary, plan));
      }
      const verdict = judge(series, plan.groupWeights, plan.judge);
      const result: IntervalResult = {
        index: i + 1,
        window: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() },
        baselineWindow: { start: new Date(w.start - offset).toISOString(), end: new Date(w.end - offset).toISOString() },
        score: verdict.score,
        classification: verdict.classification,
        verdict,
        queries,
        at: o.clock.now(),
      };
      intervals.push(result);
      o.onInterval?.(result);
      o.log.info(`interval ${i + 1}/${windows.length}: score ${verdict.score} (${verdict.classification}) ${verdict.reason}`);
      if (verdict.score <= marginal)
        return outcome(AnalysisStatus.Failed, `score ${verdict.score} at interval ${i + 1}/${windows.length} is at or below the marginal threshold ${marginal}: ${verdict.reason}`);
    }
    const final = intervals.at(-1)!;
    if (final.score < pass) return outcome(AnalysisStatus.Failed, `final score ${final.score} is below the pass threshold ${pass}: ${final.verdict.reason}`);
    return outcome(AnalysisStatus.Passed, `final score ${final.score} ≥ pass threshold ${pass}`);
  } catch (e) {
    if (o.signal.aborted) return outcome(AnalysisStatus.Cancelled, `cancelled after ${intervals.length} of ${windows.length} interval(s)`);
    return outcome(AnalysisStatus.Error, (e as Error).message);
  }
}
