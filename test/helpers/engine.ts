// Runs pipelines through the real engine with test stage types given as plain objects.
import { s } from '../../src/config/schema.ts';
import { duration } from '../../src/config/fields.ts';
import { loadPipeline } from '../../src/config/pipeline.ts';
import { runPipeline } from '../../src/pipeline/engine.ts';
import { StageLogMux, type LogSink } from '../../src/log/logger.ts';
import { Secrets } from '../../src/log/secrets.ts';
import { stageTypes, type Registry } from '../../src/stages/registry.ts';
import { createHttpClient } from '../../src/http/client.ts';
import { kubeFactory } from '../../src/runner.ts';
import { StageError, type StageType } from '../../src/pipeline/types.ts';
import type { Artifact } from '../../src/pipeline/artifacts.ts';
import { sleep } from '../../src/util/sleep.ts';

/** Records start/end times so tests can check order and overlap. */
export const timeline: { id: string; event: 'start' | 'end'; at: number }[] = [];

const work: StageType<{ ms?: number; fail?: boolean; value?: unknown; ignoreSignal?: boolean; produce?: Artifact[] }> = {
  type: 'work',
  description: 'test stage',
  schema: s.object({
    ms: duration(),
    fail: s.boolean(),
    value: s.any(),
    ignoreSignal: s.boolean(),
    produce: s.array(s.any()),
  }),
  outputs: {},
  async run(c, ctx) {
    timeline.push({ id: ctx.stageId, event: 'start', at: performance.now() });
    try {
      if (c.ms) {
        if (c.ignoreSignal) await new Promise((r) => setTimeout(r, c.ms));
        else await sleep(c.ms, ctx.signal);
      }
      if (c.fail) throw new StageError(`${ctx.stageId} was told to fail`);
      return {
        outputs: { value: (c.value ?? null) as never, seenArtifacts: ctx.artifacts.map((a) => a.name) },
        artifacts: c.produce as Artifact[] | undefined,
      };
    } finally {
      timeline.push({ id: ctx.stageId, event: 'end', at: performance.now() });
    }
  },
};

export const testRegistry: Registry = { ...stageTypes, work: work as StageType<unknown> };

export interface RunResult {
  report: Awaited<ReturnType<typeof runPipeline>>;
  lines: string[];
}

export async function runYaml(
  yaml: string,
  opts: {
    inputs?: Record<string, unknown>;
    artifacts?: Artifact[];
    only?: string[];
    signal?: AbortSignal;
    secrets?: Secrets;
    kubeconfig?: string;
    context?: string;
    workspace?: string;
    dryRun?: boolean;
    reportDir?: string;
    /** Stage types to run with; default testRegistry. Extend it: `{ ...testRegistry, ...yours }`. */
    registry?: Registry;
  } = {},
): Promise<RunResult> {
  const lines: string[] = [];
  const sink: LogSink = {
    line: (t) => lines.push(t),
    startGroup: (t) => lines.push(`::group::${t}`),
    endGroup: () => lines.push('::endgroup::'),
  };
  const secrets = opts.secrets ?? new Secrets();
  const registry = opts.registry ?? testRegistry;
  const pipeline = loadPipeline(yaml, 'test.yml', registry);
  const report = await runPipeline({
    pipeline,
    registry,
    inputs: opts.inputs ?? {},
    artifacts: opts.artifacts ?? [],
    only: opts.only,
    dryRun: opts.dryRun ?? false,
    workspace: opts.workspace ?? process.cwd(),
    tempDir: '/tmp',
    reportDir: opts.reportDir ?? '/tmp/rollgate-test-reports',
    env: process.env,
    http: createHttpClient(),
    kube: kubeFactory({ kubeconfigPath: opts.kubeconfig, context: opts.context }, process.env),
    mux: new StageLogMux(sink, secrets),
    secrets,
    signal: opts.signal ?? new AbortController().signal,
    stopGraceMs: 300,
  });
  return { report, lines };
}

export function statusOf(r: RunResult): Record<string, string> {
  return Object.fromEntries(r.report.stages.map((st) => [st.id, st.status]));
}
