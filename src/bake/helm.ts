// `helm template`, with rosco's flags: release name, namespace, values files in order,
// overrides as --set-string (or --set for "basic type substitution"), CRDs, the Kubernetes
// version and API versions the chart may test for.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { StageError } from '../pipeline/types.ts';
import { isPlainObject } from '../config/schema.ts';
import { workspacePath } from '../runner.ts';
import { findOnPath, runTool, type Tool } from './exec.ts';
import { fetchChart } from './chart-repository.ts';
import type { Renderer, RenderContext, Rendered } from './renderer.ts';

export const HELM_INSTALL_HINT =
  "GitHub's ubuntu runners come with helm; elsewhere add a setup step (uses: azure/setup-helm@v4) or install Helm 3 (https://helm.sh/docs/intro/install/), or set ROLLGATE_HELM to the helm binary's path";

export type OverrideValue = string | number | boolean;

export interface HelmRequest {
  /** A chart directory or archive in the workspace; with repository, the chart's name. */
  chart: string;
  repository?: string;
  version?: string;
  username?: string;
  password?: string;
  releaseName?: string;
  namespace?: string;
  valuesFiles?: string[];
  overrides?: Record<string, OverrideValue>;
  rawOverrides?: boolean;
  includeCRDs?: boolean;
  kubeVersion?: string;
  apiVersions?: string[];
}

/** Without a namespace helm would read one from the kubeconfig; a bake depends only on its inputs. */
export const DEFAULT_NAMESPACE = 'default';

export function helmTool(env: NodeJS.ProcessEnv): Tool {
  if (env.ROLLGATE_HELM) return { name: 'helm', file: env.ROLLGATE_HELM, foundVia: 'ROLLGATE_HELM' };
  const file = findOnPath('helm', env);
  if (!file) throw new StageError(`helm was not found: ROLLGATE_HELM is not set and no helm is on PATH. ${HELM_INSTALL_HINT}`);
  return { name: 'helm', file, foundVia: 'PATH' };
}

/**
 * One override as a helm argument. `--set-string` must deliver the value exactly, so its
 * commas and backslashes are escaped (helm would split `a,b` into two assignments); with
 * `--set` the value is helm syntax on purpose (`{a,b}` is a list), so it goes as written.
 */
export function overrideArgs(overrides: Record<string, OverrideValue>, raw: boolean): string[] {
  return Object.entries(overrides).flatMap(([key, value]) => {
    const text = String(value);
    return raw ? ['--set', `${key}=${text}`] : ['--set-string', `${key}=${text.replace(/[\\,]/g, (c) => `\\${c}`)}`];
  });
}

export class HelmRenderer implements Renderer {
  readonly engine = 'helm' as const;
  private readonly req: HelmRequest;
  constructor(req: HelmRequest) {
    this.req = req;
  }

  async render(ctx: RenderContext): Promise<Rendered> {
    const req = this.req;
    // Paths first: a path that leaves the workspace is refused before anything else happens.
    const source = req.repository ? { repository: req.repository } : { local: workspacePath(ctx.workspace, req.chart, 'chart') };
    const valuesFiles = await Promise.all((req.valuesFiles ?? []).map((f, i) => existingFile(ctx.workspace, f, `valuesFiles[${i}]`)));
    const tool = helmTool(ctx.env);
    let downloads: string | undefined;
    try {
      let chartPath: string;
      let chart: { name: string; version?: string; appVersion?: string };
      if (source.repository !== undefined) {
        downloads = await mkdtemp(path.join(ctx.tempDir, 'chart-'));
        const fetched = await fetchChart(
          { repository: source.repository, chart: req.chart, version: req.version, username: req.username, password: req.password },
          downloads,
          { signal: ctx.signal, log: ctx.log },
        );
        ctx.log.info(`fetched chart ${req.chart} ${fetched.version} from ${fetched.url.replace(/\/\/[^/@]*@/, '//')}`);
        chartPath = fetched.file;
        chart = { name: req.chart, version: fetched.version, appVersion: fetched.appVersion };
      } else {
        chartPath = source.local;
        chart = await localChart(chartPath, req.chart, tool, ctx);
      }
      const release = req.releaseName ?? chart.name;
      const namespace = req.namespace ?? DEFAULT_NAMESPACE;
      const args = [
        'template',
        release,
        chartPath,
        '--namespace',
        namespace,
        ...(req.includeCRDs ? ['--include-crds'] : []),
        ...(req.kubeVersion ? ['--kube-version', req.kubeVersion] : []),
        ...(req.apiVersions ?? []).flatMap((a) => ['--api-versions', a]),
        ...valuesFiles.flatMap((f) => ['--values', f]),
        ...overrideArgs(req.overrides ?? {}, req.rawOverrides ?? false),
      ];
      ctx.log.info(`helm ${args.map((a) => (path.isAbsolute(a) ? shown(ctx.workspace, a) : a)).join(' ')}`);
      const yaml = await runTool(tool, args, { cwd: ctx.workspace, env: ctx.env, signal: ctx.signal, installHint: HELM_INSTALL_HINT });
      const metadata: Record<string, string> = { engine: 'helm', chart: chart.name, releaseName: release, namespace };
      if (chart.version) metadata.chartVersion = chart.version;
      if (chart.appVersion) metadata.appVersion = chart.appVersion;
      if (req.repository) metadata.repository = req.repository;
      return { yaml, name: release, version: chart.version, metadata, dropTests: true };
    } finally {
      if (downloads) await rm(downloads, { recursive: true, force: true });
    }
  }
}

function shown(workspace: string, file: string): string {
  const rel = path.relative(workspace, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

async function existingFile(workspace: string, file: string, field: string): Promise<string> {
  const full = workspacePath(workspace, file, field);
  const st = await stat(full).catch(() => undefined);
  if (!st?.isFile()) throw new StageError(`${field}: ${JSON.stringify(file)} ${st ? 'is not a file' : 'does not exist'} (looked in ${full}); give a values file's path relative to the workspace`);
  return full;
}

/** The name and version of a chart in the workspace: from Chart.yaml, or `helm show chart` for an archive. */
async function localChart(full: string, given: string, tool: Tool, ctx: RenderContext): Promise<{ name: string; version?: string; appVersion?: string }> {
  const st = await stat(full).catch(() => undefined);
  if (!st)
    throw new StageError(
      `chart: ${JSON.stringify(given)} does not exist in the workspace (looked in ${full}); give a chart directory (with Chart.yaml) or a packaged chart (.tgz), or the chart's name together with repository`,
    );
  let text: string;
  if (st.isDirectory()) {
    text = await readFile(path.join(full, 'Chart.yaml'), 'utf8').catch(() => {
      throw new StageError(`chart: ${JSON.stringify(given)} is a directory without Chart.yaml, so it is not a Helm chart; give the chart's own directory`);
    });
  } else {
    text = await runTool(tool, ['show', 'chart', full], { cwd: ctx.workspace, env: ctx.env, signal: ctx.signal, maxOutputBytes: 1024 * 1024, installHint: HELM_INSTALL_HINT });
  }
  let meta: unknown;
  try {
    meta = parseYaml(text);
  } catch (e) {
    throw new StageError(`chart: the Chart.yaml of ${JSON.stringify(given)} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isPlainObject(meta) || typeof meta.name !== 'string' || !meta.name)
    throw new StageError(`chart: the Chart.yaml of ${JSON.stringify(given)} has no name; every chart needs name and version`);
  return {
    name: meta.name,
    version: meta.version === undefined || meta.version === null ? undefined : String(meta.version),
    appVersion: meta.appVersion === undefined || meta.appVersion === null ? undefined : String(meta.appVersion),
  };
}
