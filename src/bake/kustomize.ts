// `kubectl kustomize DIR`, or `kustomize build DIR` when a standalone kustomize is there
// (it is usually newer than the copy built into kubectl).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { StageError } from '../pipeline/types.ts';
import { workspacePath } from '../runner.ts';
import { findOnPath, runTool, type Tool } from './exec.ts';
import type { Renderer, RenderContext, Rendered } from './renderer.ts';

export const KUSTOMIZE_INSTALL_HINT =
  "GitHub's ubuntu runners come with kubectl and kustomize; elsewhere add a setup step (uses: azure/setup-kubectl@v4) or install kubectl (https://kubernetes.io/docs/tasks/tools/), or set ROLLGATE_KUBECTL (or ROLLGATE_KUSTOMIZE) to the binary's path";

/** The names kustomize accepts for the file, in its own order. */
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface KustomizeRequest {
  /** The kustomization's directory in the workspace (its kustomization.yaml is accepted too). */
  kustomization: string;
}

/** The tool and the arguments before the directory. Explicit settings win over PATH. */
export function kustomizeTool(env: NodeJS.ProcessEnv): { tool: Tool; args: string[] } {
  if (env.ROLLGATE_KUSTOMIZE) return { tool: { name: 'kustomize', file: env.ROLLGATE_KUSTOMIZE, foundVia: 'ROLLGATE_KUSTOMIZE' }, args: ['build'] };
  if (env.ROLLGATE_KUBECTL) return { tool: { name: 'kubectl', file: env.ROLLGATE_KUBECTL, foundVia: 'ROLLGATE_KUBECTL' }, args: ['kustomize'] };
  const kustomize = findOnPath('kustomize', env);
  if (kustomize) return { tool: { name: 'kustomize', file: kustomize, foundVia: 'PATH' }, args: ['build'] };
  const kubectl = findOnPath('kubectl', env);
  if (kubectl) return { tool: { name: 'kubectl', file: kubectl, foundVia: 'PATH' }, args: ['kustomize'] };
  throw new StageError(`neither kustomize nor kubectl was found: ROLLGATE_KUSTOMIZE and ROLLGATE_KUBECTL are not set and neither is on PATH. ${KUSTOMIZE_INSTALL_HINT}`);
}

export class KustomizeRenderer implements Renderer {
  readonly engine = 'kustomize' as const;
  private readonly req: KustomizeRequest;
  constructor(req: KustomizeRequest) {
    this.req = req;
  }

  async render(ctx: RenderContext): Promise<Rendered> {
    const given = this.req.kustomization;
    let dir = workspacePath(ctx.workspace, given, 'kustomization');
    const st = await stat(dir).catch(() => undefined);
    if (!st) throw new StageError(`kustomization: ${JSON.stringify(given)} does not exist (looked in ${dir}); give the directory that holds kustomization.yaml, relative to the workspace`);
    if (st.isFile() && KUSTOMIZATION_FILES.includes(path.basename(dir))) dir = path.dirname(dir);
    else if (!st.isDirectory()) throw new StageError(`kustomization: ${JSON.stringify(given)} is a file; give the directory that holds kustomization.yaml`);
    const present = await Promise.all(KUSTOMIZATION_FILES.map((f) => stat(path.join(dir, f)).then((s) => s.isFile(), () => false)));
    if (!present.some(Boolean))
      throw new StageError(`kustomization: ${JSON.stringify(given)} has no ${KUSTOMIZATION_FILES.join(', ')}; give a kustomization's directory (an overlay or a base)`);
    const { tool, args } = kustomizeTool(ctx.env);
    const rel = path.relative(ctx.workspace, dir) || '.';
    ctx.log.info(`${tool.name} ${args.join(' ')} ${rel}`);
    const yaml = await runTool(tool, [...args, dir], { cwd: ctx.workspace, env: ctx.env, signal: ctx.signal, installHint: KUSTOMIZE_INSTALL_HINT });
    return {
      yaml,
      // Overlays are often named after environments (overlays/production), so the path says more than the folder's name.
      name: rel === '.' ? path.basename(path.resolve(ctx.workspace)) : posix(rel),
      metadata: { engine: 'kustomize', kustomization: posix(rel) },
      dropTests: false,
    };
  }
}

function posix(p: string): string {
  return p.split(path.sep).join('/');
}
