// What the action and the CLI share: load a pipeline, run it, write its report.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { loadInlineStage, loadPipeline, type Pipeline } from './config/pipeline.ts';
import { ConfigError } from './config/errors.ts';
import { runPipeline } from './pipeline/engine.ts';
import { stageTypes, type Registry } from './stages/registry.ts';
import { StageLogMux, type LogSink } from './log/logger.ts';
import type { Secrets } from './log/secrets.ts';
import type { Artifact } from './pipeline/artifacts.ts';
import type { RunReport } from './pipeline/types.ts';
import type { HttpClient } from './http/client.ts';
import { createKubeClient, type KubeAccess, type KubeClient } from './kube/client.ts';

export interface RunSettings {
  /** A pipeline file, relative to the workspace; or an inline stage. */
  pipelineFile?: string;
  inlineStage?: { text: string; source: string };
  only?: string[];
  inputs: Record<string, unknown>;
  artifacts: Artifact[];
  dryRun: boolean;
  workspace: string;
  reportDir: string;
  tempDir: string;
  /** Kubernetes access for the Kubernetes stages; default $KUBECONFIG and its current context. */
  kube?: KubeAccess;
  /** Token for the GitHub stages; default $GITHUB_TOKEN. */
  githubToken?: string;
}

export interface RunDeps {
  sink: LogSink;
  secrets: Secrets;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  http: HttpClient;
  registry?: Registry;
  kube?: (context?: string) => Promise<KubeClient>;
}

/** One client per context, made on first use, so a run without Kubernetes stages never loads the client. */
export function kubeFactory(access: KubeAccess, env: NodeJS.ProcessEnv): (context?: string) => Promise<KubeClient> {
  const clients = new Map<string, Promise<KubeClient>>();
  return (context) => {
    const key = context ?? access.context ?? '';
    let c = clients.get(key);
    if (!c) {
      c = createKubeClient({ ...access, context: context ?? access.context }, env);
      clients.set(key, c);
      c.catch(() => clients.delete(key));
    }
    return c;
  };
}

/**
 * Resolves a workspace-relative path, refusing one that leaves the workspace: by `..`, by an
 * absolute path, or through a symbolic link inside the workspace that points out of it.
 */
export function workspacePath(workspace: string, file: string, what: string): string {
  const root = path.resolve(workspace);
  const full = path.resolve(root, file);
  const outside = (p: string, r: string) => p !== r && !p.startsWith(r + path.sep);
  const refuse = (how: string) => {
    throw new ConfigError([{ source: what, path: [], message: `is ${JSON.stringify(file)}, which ${how} the workspace ${root}; expected a path inside it` }]);
  };
  if (outside(full, root)) refuse('is outside');
  if (existsSync(full) && outside(realpathSync(full), realpathSync(root))) refuse('links to a file outside');
  return full;
}

export async function loadFromSettings(settings: RunSettings, registry: Registry = stageTypes): Promise<Pipeline> {
  if (settings.inlineStage) return loadInlineStage(settings.inlineStage.text, settings.inlineStage.source, registry);
  const file = workspacePath(settings.workspace, settings.pipelineFile!, 'the pipeline path');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError([
      {
        source: settings.pipelineFile!,
        path: [],
        message: code === 'ENOENT' ? `does not exist (looked in ${file}); check the path, relative to ${settings.workspace}` : `cannot be read: ${(e as Error).message}`,
      },
    ]);
  }
  return loadPipeline(text, path.relative(settings.workspace, file) || file, registry);
}

export async function execute(settings: RunSettings, deps: RunDeps): Promise<{ report: RunReport; reportPath: string; pipeline: Pipeline }> {
  const registry = deps.registry ?? stageTypes;
  deps.secrets.add(settings.githubToken ?? deps.env.GITHUB_TOKEN);
  const pipeline = await loadFromSettings(settings, registry);
  const mux = new StageLogMux(deps.sink, deps.secrets);
  const report = await runPipeline({
    pipeline,
    registry,
    inputs: settings.inputs,
    artifacts: settings.artifacts,
    only: settings.only,
    dryRun: settings.dryRun,
    workspace: settings.workspace,
    tempDir: settings.tempDir,
    reportDir: settings.reportDir,
    env: deps.env,
    http: deps.http,
    kube: deps.kube ?? kubeFactory(settings.kube ?? {}, deps.env),
    githubToken: settings.githubToken ?? (deps.env.GITHUB_TOKEN || undefined),
    mux,
    secrets: deps.secrets,
    signal: deps.signal,
    stopGraceMs: 5000,
  });
  await mkdir(settings.reportDir, { recursive: true });
  const suffix = settings.only?.length ? `-${settings.only.join('+')}` : '';
  const reportPath = path.join(settings.reportDir, `${safeName(pipeline.name)}${suffix}.report.json`);
  await writeFile(reportPath, deps.secrets.mask(JSON.stringify(report, null, 2)) + '\n');
  return { report, reportPath, pipeline };
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'pipeline';
}
