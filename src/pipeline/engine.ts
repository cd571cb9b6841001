import { INVALID, type ParseContext } from '../config/schema.ts';
import { ConfigError, formatPath } from '../config/errors.ts';
import { problems, type Pipeline, type StageSpec } from '../config/pipeline.ts';
import { formatDuration } from '../config/duration.ts';
import { describeMatch, matches, mergeArtifacts, type Artifact, type ArtifactMatch } from './artifacts.ts';
import { parseExpression, truthy } from './expression.ts';
import { followPath, substitute, type Reference } from './references.ts';
import {
  FailurePolicy,
  PipelineResult,
  StageStatus,
  StageError,
  type OutputValue,
  type RunReport,
  type StageContext,
  type StageRecord,
} from './types.ts';
import type { Registry } from '../stages/registry.ts';
import type { StageLogMux } from '../log/logger.ts';
import type { Secrets } from '../log/secrets.ts';
import type { HttpClient } from '../http/client.ts';
import type { KubeClient } from '../kube/client.ts';

export interface RunOptions {
  pipeline: Pipeline;
  registry: Registry;
  /** Raw inputs as given (strings from the CLI or the action, or typed from YAML/JSON). */
  inputs: Record<string, unknown>;
  /** Artifacts from earlier jobs. */
  artifacts: Artifact[];
  /** Run only these stages; the others are taken to have run elsewhere. */
  only?: string[];
  dryRun: boolean;
  workspace: string;
  tempDir: string;
  reportDir: string;
  env: NodeJS.ProcessEnv;
  http: HttpClient;
  kube: (context?: string) => Promise<KubeClient>;
  githubToken?: string;
  mux: StageLogMux;
  secrets: Secrets;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** How long a stage may take to stop after it was told to. */
  stopGraceMs?: number;
  now?: () => number;
}

/** Why a stage did not run: a skip for `when` lets downstream stages go on; a stopped branch does not. */
interface Outcome {
  record: StageRecord;
  stopsBranch: boolean;
}

class Cancelled extends Error {
  override name = 'Cancelled';
}

/** Checks inputs against the pipeline's declarations and fills in defaults. */
export function resolveInputs(p: Pipeline, given: Record<string, unknown>): Record<string, unknown> {
  if (!p.inputs) return { ...given };
  const out: Record<string, unknown> = {};
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const name of Object.keys(given)) {
    if (!(name in p.inputs))
      issues.push({ path: ['inputs', name], message: `was given, but the pipeline declares no such input; expected one of: ${Object.keys(p.inputs).join(', ') || '(none)'}` });
  }
  for (const [name, decl] of Object.entries(p.inputs)) {
    const v = given[name] ?? decl.default;
    if (v === undefined) {
      if (decl.required) issues.push({ path: ['inputs', name], message: `is required${decl.description ? ` (${decl.description})` : ''}; pass it with --input ${name}=VALUE or the action's inputs` });
      continue;
    }
    if (decl.options && !decl.options.includes(String(v)))
      issues.push({ path: ['inputs', name], message: `has ${JSON.stringify(v)}; expected one of ${decl.options.map((o) => JSON.stringify(o)).join(', ')}` });
    out[name] = v;
  }
  if (issues.length) throw new ConfigError(issues.map((i) => ({ source: `${p.source} (given inputs)`, path: i.path, line: p.locate(i.path)?.line, message: i.message })));
  return out;
}

/** Checks a subset of stages can run on its own: references into skipped-over stages would be empty. */
export function checkSubset(p: Pipeline, only: string[]): void {
  const ids = new Set(p.stages.map((st) => st.id));
  const unknown = only.filter((id) => !ids.has(id));
  if (unknown.length)
    throw new ConfigError([{ source: p.source, path: ['stages'], message: `has no stage ${unknown.map((u) => `"${u}"`).join(', ')}; expected ids among ${[...ids].join(', ')}` }]);
  const selected = new Set(only);
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const st of p.stages.filter((x) => selected.has(x.id))) {
    const text = JSON.stringify(st.fields) + (st.when ?? '');
    for (const m of text.matchAll(/stages\.([A-Za-z_][\w-]*)\.(outputs|status)/g)) {
      if (!selected.has(m[1]!))
        issues.push({ path: [...st.path], message: `uses stages.${m[1]}.${m[2]}, but stage "${m[1]}" is not part of this run (stages: ${only.join(', ')}); run it too, or pass the value as a pipeline input` });
    }
  }
  if (issues.length) throw problems({ source: p.source, locate: p.locate }, issues);
}

export async function runPipeline(o: RunOptions): Promise<RunReport> {
  const now = o.now ?? Date.now;
  const started = now();
  const inputs = resolveInputs(o.pipeline, o.inputs);
  const selected = o.only?.length ? new Set(o.only) : undefined;
  if (o.only?.length) checkSubset(o.pipeline, o.only);
  const stages = o.pipeline.stages.filter((st) => !selected || selected.has(st.id));
  const log = o.mux.pipelineLogger();

  const records = new Map<string, Outcome>();
  let artifacts = [...o.artifacts];
  let pipelineFailed = false;
  let stopAll: string | undefined;
  const stopController = new AbortController();
  const stop = (reason: string) => {
    stopAll ??= reason;
    stopController.abort(new Cancelled(reason));
  };
  const onExternalAbort = () => {
    const why = o.signal.reason instanceof Error ? o.signal.reason.message : undefined;
    stop(`the run was cancelled${why ? ` (${why})` : ''}`);
  };
  o.signal.addEventListener('abort', onExternalAbort, { once: true });
  if (o.signal.aborted) onExternalAbort();
  const pipelineTimer =
    o.pipeline.timeoutMs !== undefined
      ? setTimeout(() => {
          pipelineFailed = true;
          stop(`the pipeline timed out after ${formatDuration(o.pipeline.timeoutMs!)}`);
        }, o.pipeline.timeoutMs)
      : undefined;

  const resolver = (strict: boolean) => (ref: Reference) => {
    if (ref.kind === 'input') {
      const f = followPath(inputs[ref.name], ref.path);
      if (!(ref.name in inputs)) {
        if (strict) throw new StageError(`${ref.text}: the input "${ref.name}" was not given and has no default`);
        return undefined;
      }
      if (!f.found) {
        if (strict) throw new StageError(`${ref.text}: the input "${ref.name}" has no field "${f.at}"`);
        return undefined;
      }
      return f.value;
    }
    const rec = records.get(ref.stage)?.record;
    if (ref.kind === 'stage-status') return rec?.status;
    if (!rec || !(ref.name in rec.outputs)) {
      if (!strict) return undefined;
      if (!rec) throw new StageError(`${ref.text}: stage "${ref.stage}" has not run`);
      const why = rec.status === StageStatus.Succeeded ? '' : ` (it ended ${rec.status})`;
      throw new StageError(`${ref.text}: stage "${ref.stage}" has no output "${ref.name}"${why}; its outputs are: ${Object.keys(rec.outputs).join(', ') || '(none)'}`);
    }
    const f = followPath(rec.outputs[ref.name], ref.path);
    if (!f.found) {
      if (strict) throw new StageError(`${ref.text}: output "${ref.name}" of stage "${ref.stage}" has no field "${f.at}"`);
      return undefined;
    }
    return f.value;
  };
  const evaluate = (text: string) => parseExpression(text).evaluate(resolver(false));
  // Pipeline-level metric stores may use inputs (a URL per environment), never stage outputs.
  const metricStores = substitute(o.pipeline.metricStores, (ref) => {
    if (ref.kind !== 'input') throw new ConfigError([{ source: o.pipeline.source, path: ['metricStores'], message: `uses ${ref.text}; only $(inputs.NAME) can be used outside stages` }]);
    return resolver(true)(ref);
  }) as typeof o.pipeline.metricStores;

  const running = new Map<string, Promise<void>>();

  const finish = (st: StageSpec, outcome: Outcome) => {
    records.set(st.id, outcome);
    const r = outcome.record;
    if (r.status === StageStatus.Succeeded) artifacts = mergeArtifacts(artifacts, r.artifacts);
    const failedHard = r.status === StageStatus.Failed;
    if (failedHard) {
      if (st.onFailure === FailurePolicy.FailPipeline) {
        pipelineFailed = true;
        stop(`stage "${st.id}" failed`);
      } else if (st.onFailure === FailurePolicy.StopBranchFailPipeline) pipelineFailed = true;
    }
  };

  const skip = (st: StageSpec, status: StageStatus, reason: string, stopsBranch: boolean): Outcome => ({
    record: { id: st.id, type: st.type, name: st.name, status, outputs: {}, artifacts: [], reason, line: st.line },
    stopsBranch,
  });

  const runOne = async (st: StageSpec): Promise<Outcome> => {
    // Blocked by an upstream stage that stopped its branch?
    const blocker = st.dependsOn.map((d) => ({ d, rec: records.get(d) })).find((x) => x.rec?.stopsBranch);
    if (blocker) return skip(st, StageStatus.Skipped, `upstream stage "${blocker.d}" stopped this branch`, true);
    if (st.when !== undefined) {
      let cond: { value: unknown; seen: { text: string; value: unknown }[] };
      try {
        cond = evaluate(st.when);
      } catch (e) {
        return failed(st, `when: ${(e as Error).message}`, 0, undefined);
      }
      if (!truthy(cond.value)) {
        const seen = cond.seen.map((x) => `${x.text} = ${JSON.stringify(x.value) ?? 'undefined'}`).join(', ');
        return skip(st, StageStatus.Skipped, `when: ${st.when} is false${seen ? ` (${seen})` : ''}`, false);
      }
    }
    // Artifact matches may hold references too (version: $(inputs.version)).
    let required: ArtifactMatch[];
    let producedMatches: ArtifactMatch[] | undefined;
    try {
      required = substitute(st.requiredArtifacts, resolver(true)) as ArtifactMatch[];
      producedMatches = st.producedArtifacts && (substitute(st.producedArtifacts, resolver(true)) as ArtifactMatch[]);
    } catch (e) {
      return failed(st, `artifacts: ${(e as Error).message}`, 0, undefined);
    }
    const missing = required.filter((m) => !artifacts.some((a) => matches(a, m)));
    if (missing.length) {
      const reason = `required artifact${missing.length > 1 ? 's' : ''} missing: ${missing.map(describeMatch).join(', ')}`;
      if (st.onMissingArtifacts === 'skip') return skip(st, StageStatus.Skipped, reason, false);
      return failed(st, reason, 0, undefined);
    }

    const type = o.registry[st.type]!;
    const stageLog = o.mux.startStage(st.id, `${st.name ?? st.id} (${st.type})`);
    const startedAt = now();
    const controller = new AbortController();
    const signals = [controller.signal, stopController.signal];
    let timedOut = false;
    const timer =
      st.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Cancelled(`timed out after ${formatDuration(st.timeoutMs!)}`));
          }, st.timeoutMs)
        : undefined;
    const signal = AbortSignal.any(signals);
    const visible = artifacts.slice();
    const ctx: StageContext = {
      stageId: st.id,
      signal,
      log: stageLog,
      artifacts: visible,
      requiredArtifacts: required,
      workspace: o.workspace,
      tempDir: o.tempDir,
      reportDir: o.reportDir,
      metricStores,
      dryRun: o.dryRun,
      addSecret: (v) => o.secrets.add(v),
      stageStatus: (id) => records.get(id)?.record.status,
      evaluate,
      env: o.env,
      http: o.http,
      kube: o.kube,
      app: o.pipeline.application,
      githubToken: o.githubToken,
    };
    let outcome: Outcome;
    try {
      let resolved: unknown;
      try {
        resolved = substitute(st.fields, resolver(true));
      } catch (e) {
        throw new StageError((e as Error).message);
      }
      const pctx: ParseContext = { issues: [], deferReferences: false };
      const config = type.schema.parse(resolved, st.path, pctx as never);
      if (config === INVALID || pctx.issues.length) {
        throw new StageError(
          `after resolving references: ${pctx.issues.map((i) => `${formatPath(i.path)} ${i.message}`).join('; ')}`,
        );
      }
      const products = await untilStopped(type.run(config, ctx), signal, o.stopGraceMs ?? 10_000);
      const produced = products.artifacts ?? [];
      let kept = produced;
      if (producedMatches) {
        const absent = producedMatches.filter((m) => !produced.some((a) => matches(a, m)));
        if (absent.length) throw new StageError(`producedArtifacts: the stage did not produce ${absent.map(describeMatch).join(', ')}`);
        kept = produced.filter((a) => producedMatches.some((m) => matches(a, m)));
      }
      outcome = {
        record: {
          id: st.id,
          type: st.type,
          name: st.name,
          status: StageStatus.Succeeded,
          startedAt: new Date(startedAt).toISOString(),
          durationMs: now() - startedAt,
          outputs: (products.outputs ?? {}) as Record<string, OutputValue>,
          artifacts: kept,
          line: st.line,
          summary: products.summary,
        },
        stopsBranch: false,
      };
    } catch (e) {
      const message = timedOut
        ? `timed out after ${formatDuration(st.timeoutMs!)}`
        : signal.aborted && !controller.signal.aborted
          ? undefined
          : errorMessage(e);
      if (message === undefined) {
        // A stage that stops cleanly says how far it got (and keeps its outputs, e.g. the
        // path of a report written on the way out).
        const own = e instanceof StageError ? e.message : undefined;
        outcome = skip(st, StageStatus.Cancelled, `cancelled: ${stopAll}${own ? ` (${own})` : ''}`, true);
        outcome.record.startedAt = new Date(startedAt).toISOString();
        outcome.record.durationMs = now() - startedAt;
        if (e instanceof StageError) {
          outcome.record.outputs = e.details ?? {};
          if (e.summary) outcome.record.summary = e.summary;
        }
      } else {
        outcome = failed(st, message, now() - startedAt, startedAt, e instanceof StageError ? e.details : undefined);
        if (e instanceof StageError && e.summary) outcome.record.summary = e.summary;
      }
    } finally {
      clearTimeout(timer);
    }
    const r = outcome.record;
    const detail = r.error ?? r.reason;
    o.mux.endStage(st.id, `${symbol(r.status)} ${st.id} ${r.status}${r.durationMs !== undefined ? ` in ${formatDuration(r.durationMs)}` : ''}${detail ? `: ${detail}` : ''}`);
    return outcome;
  };

  const failed = (st: StageSpec, message: string, durationMs: number, startedAt: number | undefined, details?: Record<string, OutputValue>): Outcome => {
    const status = st.onFailure === FailurePolicy.Continue ? StageStatus.FailedContinue : StageStatus.Failed;
    return {
      record: {
        id: st.id,
        type: st.type,
        name: st.name,
        status,
        startedAt: startedAt === undefined ? undefined : new Date(startedAt).toISOString(),
        durationMs,
        outputs: details ?? {},
        artifacts: [],
        error: message,
        line: st.line,
      },
      stopsBranch: status === StageStatus.Failed,
    };
  };

  // The scheduler: start every stage whose dependencies have ended, until none is left.
  const pending = new Set(stages.map((st) => st.id));
  const byId = new Map(stages.map((st) => [st.id, st]));
  await new Promise<void>((resolveAll) => {
    const pump = () => {
      for (const id of [...pending]) {
        const st = byId.get(id)!;
        if (stopAll !== undefined) {
          pending.delete(id);
          const reason = `not started: ${stopAll}`;
          finish(st, skip(st, StageStatus.Skipped, reason, true));
          continue;
        }
        // Dependencies outside this run (a subset) count as done.
        const ready = st.dependsOn.every((d) => !byId.has(d) || records.has(d));
        if (!ready) continue;
        pending.delete(id);
        const p = runOne(st).then(
          (outcome) => {
            finish(st, outcome);
            running.delete(id);
            pump();
          },
          (e) => {
            finish(st, failed(st, `internal error: ${errorMessage(e)}`, 0, undefined));
            running.delete(id);
            pump();
          },
        );
        running.set(id, p);
      }
      if (pending.size === 0 && running.size === 0) resolveAll();
    };
    pump();
  });
  clearTimeout(pipelineTimer);
  o.signal.removeEventListener('abort', onExternalAbort);

  const list = o.pipeline.stages.filter((st) => records.has(st.id)).map((st) => records.get(st.id)!.record);
  const cancelled = o.signal.aborted;
  const result = cancelled ? PipelineResult.Cancelled : pipelineFailed ? PipelineResult.Failed : PipelineResult.Succeeded;
  if (result !== PipelineResult.Succeeded) log.info(`Pipeline ${o.pipeline.name} ${result}${stopAll ? `: ${stopAll}` : ''}`);
  return o.secrets.maskValue({
    pipeline: o.pipeline.name,
    source: o.pipeline.source,
    result,
    startedAt: new Date(started).toISOString(),
    durationMs: now() - started,
    dryRun: o.dryRun,
    inputs,
    stages: list,
    artifacts,
  });
}

/** Resolves with the stage's result, or rejects shortly after the stage was told to stop. */
function untilStopped<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let grace: NodeJS.Timeout | undefined;
    const onAbort = () => {
      grace = setTimeout(() => reject(signal.reason), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(signal.reason);
        else resolve(v);
      },
      (e) => {
        clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : JSON.stringify(e) ?? String(e);
}

export function symbol(status: StageStatus): string {
  switch (status) {
    case StageStatus.Succeeded:
      return '✔';
    case StageStatus.Failed:
      return '✖';
    case StageStatus.FailedContinue:
      return '⚠';
    case StageStatus.Cancelled:
      return '⊘';
    default:
      return '○';
  }
}
