// Which resource a patch, scale, delete, disable or enable acts on: a static name, or a
// dynamic pick inside a Spinnaker cluster (resources of one kind and namespace whose
// moniker cluster and application match).
import { s, type Infer } from '../config/schema.ts';
import type { KubeClient, KubeObject } from './client.ts';
import { A } from './annotations.ts';
import { KNOWN_KINDS, canonicalKind, spinnakerKind } from './kinds.ts';
import { parseVersion } from './manifests.ts';
import { StageError } from '../pipeline/types.ts';

export const TargetStrategy = {
  Newest: 'newest',
  SecondNewest: 'second-newest',
  Oldest: 'oldest',
  Largest: 'largest',
  Smallest: 'smallest',
} as const;
export type TargetStrategy = (typeof TargetStrategy)[keyof typeof TargetStrategy];

const targetShape = {
  kind: s.string({ minLength: 1 }).describe('Kind of the target, e.g. ReplicaSet or replicaSet.'),
  apiVersion: s.string().describe('API version; known kinds need none (ReplicaSet → apps/v1).'),
  name: s.string({ minLength: 1 }).describe('Static target: the object\'s name. With strategy: the cluster\'s base name (cluster defaults to "<kind> <name>").'),
  namespace: s.string().describe('Namespace of the target. Default: the kubeconfig context\'s namespace.'),
  cluster: s.string().describe('Spinnaker cluster to pick from, e.g. "replicaSet web".'),
  app: s.string().describe('Moniker application of the cluster. Default: the pipeline\'s application.'),
  strategy: s.enum(Object.values(TargetStrategy)).describe('Pick the target dynamically inside the cluster.'),
};

export const targetSchema = s
  .object(targetShape, ['kind'], {
    validate: (v, path, ctx) => {
      if (!v.strategy && !v.name) ctx.issues.push({ path: [...path, 'name'], message: 'is required when no strategy is given; expected the name of the target' });
      if (v.strategy && !v.name && !v.cluster)
        ctx.issues.push({ path: [...path, 'cluster'], message: `is required with strategy ${v.strategy} (or give name); expected e.g. "replicaSet web"` });
    },
  })
  .describe('The resource to act on: kind plus a name, or kind plus a cluster and a strategy (newest, second-newest, oldest, largest, smallest).');
export type TargetSpec = Infer<typeof targetSchema>;

/** The kubeconfig context field every Kubernetes stage has. */
export const contextField = s.string().describe("Kubeconfig context for this stage. Default: the current context (or the action's context input).");

export function apiVersionOf(kind: string, apiVersion?: string): string {
  const v = apiVersion ?? KNOWN_KINDS[canonicalKind(kind)];
  if (!v) throw new StageError(`kind ${kind} needs an apiVersion (rollgate knows the API versions of built-in kinds only)`);
  return v;
}

/** Sorts cluster members and picks one (Spinnaker's semantics, ties broken by version). */
export function pick(members: KubeObject[], strategy: TargetStrategy): KubeObject | undefined {
  const age = (o: KubeObject) => Date.parse(o.metadata.creationTimestamp ?? '') || 0;
  const seq = (o: KubeObject) => parseVersion(o.metadata.name)?.version ?? -1;
  const byAge = [...members].sort((a, b) => age(a) - age(b) || seq(a) - seq(b));
  const size = (o: KubeObject) => o.spec?.replicas ?? 0;
  const bySize = [...members].sort((a, b) => size(a) - size(b) || age(a) - age(b) || seq(a) - seq(b));
  switch (strategy) {
    case TargetStrategy.Newest:
      return byAge.at(-1);
    case TargetStrategy.SecondNewest:
      return byAge.at(-2);
    case TargetStrategy.Oldest:
      return byAge[0];
    case TargetStrategy.Largest:
      return bySize.at(-1);
    case TargetStrategy.Smallest:
      return bySize[0];
  }
}

export interface ResolvedTarget {
  object: KubeObject;
  /** For messages and outputs: "ReplicaSet ns/web-v002". */
  description: string;
}

export async function resolveTarget(kube: KubeClient, t: TargetSpec, app: string, signal?: AbortSignal): Promise<ResolvedTarget> {
  const kind = canonicalKind(t.kind);
  const apiVersion = apiVersionOf(kind, t.apiVersion);
  const namespace = t.namespace ?? kube.defaultNamespace;
  if (!t.strategy) {
    const obj = await kube.tryGet({ apiVersion, kind, name: t.name!, namespace }, signal);
    if (!obj) throw new StageError(`${kind} ${namespace}/${t.name} does not exist`);
    return { object: obj, description: `${kind} ${namespace}/${obj.metadata.name}` };
  }
  const cluster = t.cluster ?? `${spinnakerKind(kind)} ${t.name}`;
  const application = t.app ?? app;
  const all = await kube.list(apiVersion, kind, { namespace, signal });
  const members = all.filter((o) => o.metadata.annotations?.[A.cluster] === cluster && o.metadata.annotations?.[A.application] === application);
  const chosen = pick(members, t.strategy);
  if (!chosen) {
    const why = members.length === 1 && t.strategy === TargetStrategy.SecondNewest ? ' (the cluster has only one member)' : '';
    throw new StageError(`no manifest matches ${t.strategy} in cluster "${cluster}" of application "${application}" in namespace ${namespace}${why}; ${members.length} member(s) found among ${all.length} ${kind}(s)`);
  }
  return { object: chosen, description: `${kind} ${namespace}/${chosen.metadata.name}` };
}
