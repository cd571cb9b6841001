// The job summary. GitHub renders it as HTML and @actions/core does not escape
// anything, so every value written here goes through `escapeHtml`.
import { formatDuration } from '../config/duration.ts';
import { symbol } from '../pipeline/engine.ts';
import type { RunReport, StageRecord } from '../pipeline/types.ts';
import { text } from './outputs.ts';

const MAX_SUMMARY_BYTES = 1024 * 1024 - 4096;
const MAX_CELL = 200;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`|]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cell(s: string): string {
  const t = s.length > MAX_CELL ? `${s.slice(0, MAX_CELL)}…` : s;
  return escapeHtml(t).replace(/\r?\n/g, '<br>');
}

function keyOutputs(st: StageRecord): string {
  const scalars = Object.entries(st.outputs).filter(([, v]) => typeof v !== 'object' || v === null);
  return scalars
    .slice(0, 4)
    .map(([k, v]) => `<code>${cell(k)}</code>=${cell(text(v as string))}`)
    .join('<br>');
}

export function renderSummary(report: RunReport, spilled: Record<string, string>): string {
  const rows = report.stages
    .map(
      (st) =>
        `<tr><td>${symbol(st.status)} <b>${cell(st.name ?? st.id)}</b><br><code>${cell(st.id)}</code></td><td>${cell(st.type)}</td><td>${cell(st.status)}</td><td>${st.durationMs === undefined ? '' : cell(formatDuration(st.durationMs))}</td><td>${keyOutputs(st)}</td><td>${cell(st.error ?? st.reason ?? '')}</td></tr>`,
    )
    .join('\n');
  const parts = [
    `<h2>rollgate: ${cell(report.pipeline)} ${cell(report.result)}${report.dryRun ? ' (dry run)' : ''}</h2>`,
    `<p>${cell(report.source)} · ${cell(formatDuration(report.durationMs))} · ${report.stages.length} stage(s) · ${report.artifacts.length} artifact(s)</p>`,
    `<table><thead><tr><th>Stage</th><th>Type</th><th>Status</th><th>Duration</th><th>Outputs</th><th>Details</th></tr></thead><tbody>\n${rows}\n</tbody></table>`,
  ];
  for (const st of report.stages.filter((x) => x.summary)) parts.push(`<h3>${cell(st.name ?? st.id)}</h3>\n${st.summary}`);
  const errors = report.stages.filter((st) => st.error);
  if (errors.length) {
    parts.push(
      `<h3>Errors</h3><ul>${errors.map((st) => `<li><code>${cell(st.id)}</code>${st.line ? ` (${cell(report.source)}:${st.line})` : ''}: <pre>${escapeHtml(st.error!)}</pre></li>`).join('')}</ul>`,
    );
  }
  if (Object.keys(spilled).length) {
    parts.push(
      `<p>Outputs too large for GitHub's output limit were written to files: ${Object.entries(spilled)
        .map(([k, v]) => `<code>${cell(k)}</code> → <code>${cell(v)}</code>`)
        .join(', ')}</p>`,
    );
  }
  let html = parts.join('\n') + '\n';
  if (Buffer.byteLength(html) > MAX_SUMMARY_BYTES) {
    html = Buffer.from(html).subarray(0, MAX_SUMMARY_BYTES).toString('utf8') + '\n<p>(summary cut at GitHub\'s 1 MiB limit; see the report file)</p>\n';
  }
  return html;
}
