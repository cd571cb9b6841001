// One small interface over the tools that turn sources into Kubernetes manifests. The bake
// stage knows only this; each engine finds its own binary, reads its own inputs from the
// workspace and returns the YAML it rendered.
import type { Logger } from '../log/logger.ts';
import { HelmRenderer, type HelmRequest } from './helm.ts';
import { KustomizeRenderer, type KustomizeRequest } from './kustomize.ts';

export const Engine = { Helm: 'helm', Kustomize: 'kustomize' } as const;
export type Engine = (typeof Engine)[keyof typeof Engine];

export interface RenderContext {
  workspace: string;
  /** A private directory for downloads; the renderer removes what it puts there. */
  tempDir: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  log: Logger;
}

export interface Rendered {
  yaml: string;
  /** The artifact's default name: the release name (helm), or the kustomization's path in the workspace (kustomize). */
  name: string;
  /** The chart's version, when there is one. */
  version?: string;
  /** What was rendered, for logs and the artifact's metadata. */
  metadata: Record<string, string>;
  /** Whether chart tests are to be dropped from the output (helm only). */
  dropTests: boolean;
}

export interface Renderer {
  readonly engine: Engine;
  render(ctx: RenderContext): Promise<Rendered>;
}

export type BakeRequest = ({ engine: typeof Engine.Helm } & HelmRequest) | ({ engine: typeof Engine.Kustomize } & KustomizeRequest);

export function createRenderer(request: BakeRequest): Renderer {
  switch (request.engine) {
    case Engine.Helm:
      return new HelmRenderer(request);
    case Engine.Kustomize:
      return new KustomizeRenderer(request);
  }
}
