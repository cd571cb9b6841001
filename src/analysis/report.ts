// The canary report: a JSON file (always written) and a job summary section that
// explains the verdict: the score over the intervals, every group and metric, and the
// exact queries that ran, to paste into Prometheus.
import { escapeHtml } from '../action/summary.ts';
import type { AnalysisOutcome, AnalysisPlan, IntervalResult } from './loop.ts';
import type { MetricResult } from '../canary/types.ts';

const fmt = (n: number | undefined, digits = 3) => (n === undefined || Number.isNaN(n) ? '–' : Number.isFinite(n) ? String(Number(n.toPrecision(digits))) : String(n));

function chart(intervals: IntervalResult[], plan: AnalysisPlan, planned: number): string {
  if (!intervals.length) return '';
  const xs = Array.from({ length: planned }, (_, i) => i + 1);
  const scores = xs.map((i) => intervals.find((r) => r.index === i)?.score ?? 'null');
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Canary score per interval"',
    `  x-axis [${xs.join(', ')}]`,
    '  y-axis "score" 0 --> 100',
    `  line [${scores.join(', ')}]`,
    `  line [${xs.map(() => plan.judge.marginal).join(', ')}]`,
    `  line [${xs.map(() => plan.judge.pass).join(', ')}]`,
    '```',
    '',
    `<p>Scores: ${intervals.map((r) => `${r.index}: <b>${r.score}</b>`).join(' · ')} (marginal ${plan.judge.marginal}, pass ${plan.judge.pass})</p>`,
  ].join('\n');
}

function metricRow(m: MetricResult): string {
  const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const ci = m.confidenceInterval ? `[${fmt(m.confidenceInterval.lower)}, ${fmt(m.confidenceInterval.upper)}]` : '–';
  const side = (s: MetricResult['baseline']) => `${s.count} / ${fmt(s.mean)} ± ${fmt(s.std)} [${fmt(s.min)}, ${fmt(s.max)}]`;
  const flags = [m.critical && 'critical', m.muted && 'muted'].filter(Boolean).join(', ');
  return `<tr><td>${escapeHtml(m.name)}${labels ? `<br><code>${escapeHtml(labels)}</code>` : ''}</td><td><b>${escapeHtml(m.classification)}</b>${flags ? ` (${flags})` : ''}</td><td>${fmt(m.ratio)}</td><td>${ci}</td><td>${side(m.baseline)}</td><td>${side(m.canary)}</td><td>${escapeHtml([m.reason, ...m.warnings].join(' '))}</td></tr>`;
}

export function renderCanarySummary(outcome: AnalysisOutcome, plan: AnalysisPlan, configName: string, reportPath: string): string {
  const last = outcome.intervals.at(-1);
  const verdict = last
    ? `<p><b>${escapeHtml(outcome.status.toUpperCase())}</b>: score <b>${last.score}</b> (${escapeHtml(last.classification)}) after ${outcome.intervals.length} of ${outcome.plannedIntervals} interval(s). ${escapeHtml(outcome.reason)}</p>`
    : `<p><b>${escapeHtml(outcome.status.toUpperCase())}</b>: ${escapeHtml(outcome.reason)}</p>`;
  const parts = [
    verdict,
    `<p>Canary config <code>${escapeHtml(configName)}</code>; baseline <code>${escapeHtml(plan.baseline.scope)}</code>${plan.baseline.location ? ` @ <code>${escapeHtml(plan.baseline.location)}</code>` : ''}, canary <code>${escapeHtml(plan.canary.scope)}</code>${plan.canary.location ? ` @ <code>${escapeHtml(plan.canary.location)}</code>` : ''}. Report: <code>${escapeHtml(reportPath)}</code></p>`,
    chart(outcome.intervals, plan, outcome.plannedIntervals),
  ];
  if (last) {
    parts.push(
      '<table><thead><tr><th>Group</th><th>Weight</th><th>Score</th><th>Pass / High / Low / NoData(fail) / NoData / Error</th></tr></thead><tbody>',
      ...last.verdict.groups.map(
        (g) => `<tr><td>${escapeHtml(g.name)}</td><td>${fmt(g.weight)}</td><td><b>${fmt(g.score, 4)}</b></td><td>${g.counts.Pass} / ${g.counts.High} / ${g.counts.Low} / ${g.counts.NodataFailMetric} / ${g.counts.Nodata} / ${g.counts.Error}</td></tr>`,
      ),
      '</tbody></table>',
      '<table><thead><tr><th>Metric</th><th>Result</th><th>Ratio</th><th>CI of the shift</th><th>Baseline n / mean ± std [min, max]</th><th>Canary n / mean ± std [min, max]</th><th>Why</th></tr></thead><tbody>',
      ...last.verdict.metrics.map(metricRow),
      '</tbody></table>',
      `<details><summary>Queries of interval ${last.index}</summary>\n\n${last.queries
        .map((q) => `<p>${escapeHtml(q.metric)} (${q.side}), ${escapeHtml(q.start)} → ${escapeHtml(q.end)}, step ${q.step}s, ${q.series} series:</p><pre>${escapeHtml(q.query)}</pre>`)
        .join('\n')}\n</details>`,
    );
  }
  // Blank lines around the mermaid fence, or GitHub reads it as HTML text.
  return parts.join('\n\n');
}
