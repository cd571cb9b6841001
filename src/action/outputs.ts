// Step outputs, within GitHub's 1 MB per job: large values go to files in the
// workspace and the output carries the path instead.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunReport, OutputValue } from '../pipeline/types.ts';

/** What this step may use of the job's 1 MB, leaving room for other steps. */
export const OUTPUT_BUDGET_BYTES = 512 * 1024;
/** A single value larger than this always goes to a file. */
export const MAX_INLINE_OUTPUT_BYTES = 64 * 1024;

export interface StepOutputs {
  values: Record<string, string>;
  /** Outputs whose value was written to a file: name → path. */
  spilled: Record<string, string>;
}

export function collectOutputs(report: RunReport, reportPath: string, workspace: string): StepOutputs {
  const values: Record<string, string> = {
    result: report.result,
    report: reportPath,
    artifacts: JSON.stringify(report.artifacts),
  };
  // `stages` gives every stage's status and short scalar outputs as one JSON object, so
  // workflows can write fromJSON(steps.x.outputs.stages).deploy.replicaSet — outputs that
  // action.yml cannot declare ahead of time, and that linters therefore cannot see.
  const stages: Record<string, Record<string, OutputValue>> = {};
  for (const st of report.stages) {
    values[`${st.id}-status`] = st.status;
    stages[st.id] = { status: st.status };
    for (const [name, v] of Object.entries(st.outputs)) {
      values[`${st.id}-${name}`] = text(v);
      if (v === null || typeof v !== 'object') if (typeof v !== 'string' || v.length <= 1024) stages[st.id]![name] = v;
    }
  }
  values.stages = JSON.stringify(stages);
  const spilled: Record<string, string> = {};
  const dir = path.join(workspace, '.rollgate', 'outputs');
  const spill = (name: string) => {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.txt`);
    writeFileSync(file, values[name]!);
    values[name] = file;
    spilled[name] = file;
  };
  // `artifacts` and `stages` are read by later jobs as JSON: spilling them would break those jobs.
  const keep = new Set(['result', 'artifacts', 'stages']);
  for (const name of Object.keys(values)) if (!keep.has(name) && Buffer.byteLength(values[name]!) > MAX_INLINE_OUTPUT_BYTES) spill(name);
  const total = () => Object.entries(values).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  const bySize = Object.keys(values).sort((a, b) => Buffer.byteLength(values[b]!) - Buffer.byteLength(values[a]!));
  for (const name of bySize) {
    if (total() <= OUTPUT_BUDGET_BYTES) break;
    if (!(name in spilled) && !keep.has(name)) spill(name);
  }
  return { values, spilled };
}

export function text(v: OutputValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
