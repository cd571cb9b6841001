// Traffic routers for the rollout stage. Each realises "the canary gets W% of the
// traffic" in one write to the cluster, so an abort restores 100% stable in one write.
import { s, type Infer } from '../config/schema.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { refOf } from '../kube/operations.ts';
import { StageError } from '../pipeline/types.ts';

export const RouterType = { Replicas: 'replicas', Istio: 'istio', GatewayApi: 'gateway-api', Smi: 'smi' } as const;
export type RouterType = (typeof RouterType)[keyof typeof RouterType];

const name = () => s.string({ pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, patternText: 'a Kubernetes object name' });

export const routerSchema = s
  .tagged<Record<string, unknown>>('type', {
    [RouterType.Replicas]: s.object(
      {
        type: s.enum([RouterType.Replicas]).describe('One Service selects both; the weight is the share of canary pods.'),
        totalReplicas: s.number({ integer: true, min: 1 }).describe('Pods shared by stable and canary. Default: the stable and canary workloads\' replicas together when the rollout starts.'),
        service: name().describe('The Service that selects both: a rollback waits until its endpoints have none of the canary\'s pods.'),
      },
      ['type'],
    ),
    [RouterType.Istio]: s.object(
      {
        type: s.enum([RouterType.Istio]).describe('Weights of an Istio VirtualService route.'),
        virtualService: name().describe('The VirtualService.'),
        route: s.string().describe('Name of its HTTP route. Default: the first one.'),
        stableSubset: s.string({ minLength: 1 }).describe('DestinationRule subset of the stable version.'),
        canarySubset: s.string({ minLength: 1 }).describe('DestinationRule subset of the canary version.'),
        destinationRule: name().describe('The DestinationRule that defines both subsets; checked before the first step.'),
      },
      ['type', 'virtualService', 'stableSubset', 'canarySubset'],
    ),
    [RouterType.GatewayApi]: s.object(
      {
        type: s.enum([RouterType.GatewayApi]).describe('Weights of a Gateway API HTTPRoute rule\'s backendRefs.'),
        httpRoute: name().describe('The HTTPRoute.'),
        rule: s.number({ integer: true, min: 0 }).describe('Index of the rule. Default: 0.'),
        stableService: name().describe('backendRef (Service) of the stable version.'),
        canaryService: name().describe('backendRef (Service) of the canary version.'),
      },
      ['type', 'httpRoute', 'stableService', 'canaryService'],
    ),
    [RouterType.Smi]: s.object(
      {
        type: s.enum([RouterType.Smi]).describe('Weights of an SMI TrafficSplit.'),
        trafficSplit: name().describe('The TrafficSplit.'),
        stableService: name().describe('Backend Service of the stable version.'),
        canaryService: name().describe('Backend Service of the canary version.'),
      },
      ['type', 'trafficSplit', 'stableService', 'canaryService'],
    ),
  })
  .describe('How traffic is split between stable and canary.');

export type RouterConfig = Infer<typeof routerSchema> & { type: RouterType };

/** Replica counts for a weight: canary = ceil(total·w/100), at least 1 while w > 0; stable = the rest, at least 1 while w < 100. */
export function replicaSplit(total: number, weight: number): { stable: number; canary: number } {
  if (weight <= 0) return { stable: total, canary: 0 };
  if (weight >= 100) return { stable: 0, canary: total };
  const canary = Math.min(Math.max(1, Math.ceil((total * weight) / 100)), Math.max(1, total - 1));
  return { stable: Math.max(1, total - canary), canary };
}

export interface RouterContext {
  kube: KubeClient;
  namespace: string;
  stable: KubeObject;
  canary: KubeObject;
  totalReplicas: number;
  signal: AbortSignal;
}

export interface TrafficRouter {
  describe(): string;
  /** Checks the route objects exist and name both versions, before anything changes. */
  check(rc: RouterContext): Promise<void>;
  /** Sends W% to the canary in one write; the replicas router scales instead. */
  setWeight(rc: RouterContext, weight: number): Promise<void>;
  /** Whether the router scales the workloads itself (replicas) or the stage must (CRD routers). */
  scales: boolean;
}

const scaleTo = (rc: RouterContext, o: KubeObject, replicas: number) => rc.kube.patch(refOf(o), { spec: { replicas } }, 'merge', { signal: rc.signal });

/** One JSON Patch that replaces a list only if it is still the list we read (a test op guards concurrent writers). */
async function replaceList(rc: RouterContext, ref: { apiVersion: string; kind: string; name: string }, pointer: string, read: (o: KubeObject) => unknown[], write: (list: unknown[]) => unknown[]) {
  const full = { ...ref, namespace: rc.namespace };
  for (let attempt = 0; attempt < 5; attempt++) {
    const o = await rc.kube.tryGet(full, rc.signal);
    if (!o) throw new StageError(`${ref.kind} ${rc.namespace}/${ref.name} does not exist`);
    const before = read(o);
    try {
      await rc.kube.patch(full, [{ op: 'test', path: pointer, value: before }, { op: 'replace', path: pointer, value: write(before) }], 'json', { signal: rc.signal });
      return;
    } catch (e) {
      // A failed test op means someone changed it between our read and write: read again.
      if (!/422|test operation/i.test((e as Error).message) || attempt === 4) throw e;
    }
  }
}

export function createRouter(c: RouterConfig): TrafficRouter {
  switch (c.type) {
    case RouterType.Replicas:
      return {
        scales: true,
        describe: () => `replica ratio${c.service ? ` behind Service ${c.service}` : ''}`,
        async check() {},
        async setWeight(rc, weight) {
          const target = replicaSplit(rc.totalReplicas, weight);
          const moves: [KubeObject, number][] = [
            [rc.stable, target.stable],
            [rc.canary, target.canary],
          ];
          const current = (o: KubeObject) => o.spec?.replicas ?? 0;
          // Back to 0%: the canary goes first, in one write, so its pods leave the Service at once.
          // Otherwise grow before shrinking, so the Service never has fewer pods than it needs.
          if (weight > 0) moves.sort((x, y) => y[1] - current(y[0]) - (x[1] - current(x[0])));
          else moves.reverse();
          for (const [o, replicas] of moves) {
            if (current(o) === replicas) continue;
            await scaleTo(rc, o, replicas);
            o.spec = { ...o.spec, replicas };
          }
        },
      };
    case RouterType.Istio: {
      const ref = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: c.virtualService as string };
      const routeIndex = (o: KubeObject) => {
        const http: { name?: string }[] = o.spec?.http ?? [];
        const i = c.route ? http.findIndex((h) => h.name === c.route) : 0;
        if (i < 0 || !http[i]) throw new StageError(`VirtualService ${o.metadata.name} has no HTTP route${c.route ? ` named ${c.route}` : ''}`);
        return i;
      };
      return {
        scales: false,
        describe: () => `Istio VirtualService ${c.virtualService} (subsets ${c.stableSubset} / ${c.canarySubset})`,
        async check(rc) {
          const vs = await rc.kube.tryGet({ ...ref, namespace: rc.namespace }, rc.signal);
          if (!vs) throw new StageError(`VirtualService ${rc.namespace}/${c.virtualService} does not exist`);
          const routes: { destination?: { subset?: string } }[] = vs.spec.http[routeIndex(vs)].route ?? [];
          for (const subset of [c.stableSubset, c.canarySubset])
            if (!routes.some((r) => r.destination?.subset === subset)) throw new StageError(`VirtualService ${c.virtualService} route has no destination with subset ${subset}`);
          if (c.destinationRule) {
            const dr = await rc.kube.tryGet({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', name: c.destinationRule as string, namespace: rc.namespace }, rc.signal);
            if (!dr) throw new StageError(`DestinationRule ${rc.namespace}/${c.destinationRule} does not exist`);
            const names = (dr.spec?.subsets ?? []).map((x: { name: string }) => x.name);
            for (const subset of [c.stableSubset, c.canarySubset]) if (!names.includes(subset)) throw new StageError(`DestinationRule ${c.destinationRule} defines no subset ${subset} (it has ${names.join(', ') || 'none'})`);
          }
        },
        async setWeight(rc, weight) {
          let index = 0;
          await replaceList(
            rc,
            ref,
            '/spec/http',
            (o) => {
              index = routeIndex(o);
              return o.spec.http;
            },
            (http) =>
              http.map((h, i) =>
                i !== index
                  ? h
                  : {
                      ...(h as object),
                      route: ((h as { route: { destination: { subset?: string } }[] }).route ?? []).map((r) => ({
                        ...r,
                        weight: r.destination.subset === c.canarySubset ? weight : r.destination.subset === c.stableSubset ? 100 - weight : 0,
                      })),
                    },
              ),
          );
        },
      };
    }
    case RouterType.GatewayApi: {
      const ref = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: c.httpRoute as string };
      const rule = (c.rule as number | undefined) ?? 0;
      return {
        scales: false,
        describe: () => `Gateway API HTTPRoute ${c.httpRoute} rule ${rule} (${c.stableService} / ${c.canaryService})`,
        async check(rc) {
          const r = await rc.kube.tryGet({ ...ref, namespace: rc.namespace }, rc.signal);
          if (!r) throw new StageError(`HTTPRoute ${rc.namespace}/${c.httpRoute} does not exist`);
          const refs: { name: string }[] = r.spec?.rules?.[rule]?.backendRefs ?? [];
          for (const svc of [c.stableService, c.canaryService])
            if (!refs.some((b) => b.name === svc)) throw new StageError(`HTTPRoute ${c.httpRoute} rule ${rule} has no backendRef ${svc}`);
        },
        async setWeight(rc, weight) {
          await replaceList(
            rc,
            ref,
            `/spec/rules/${rule}/backendRefs`,
            (o) => o.spec.rules[rule].backendRefs,
            (list) => list.map((b) => ({ ...(b as object), weight: (b as { name: string }).name === c.canaryService ? weight : (b as { name: string }).name === c.stableService ? 100 - weight : 0 })),
          );
        },
      };
    }
    case RouterType.Smi: {
      const ref = { apiVersion: 'split.smi-spec.io/v1alpha4', kind: 'TrafficSplit', name: c.trafficSplit as string };
      return {
        scales: false,
        describe: () => `SMI TrafficSplit ${c.trafficSplit} (${c.stableService} / ${c.canaryService})`,
        async check(rc) {
          const t = await rc.kube.tryGet({ ...ref, namespace: rc.namespace }, rc.signal);
          if (!t) throw new StageError(`TrafficSplit ${rc.namespace}/${c.trafficSplit} does not exist`);
          const backends: { service: string }[] = t.spec?.backends ?? [];
          for (const svc of [c.stableService, c.canaryService]) if (!backends.some((b) => b.service === svc)) throw new StageError(`TrafficSplit ${c.trafficSplit} has no backend ${svc}`);
        },
        async setWeight(rc, weight) {
          await replaceList(
            rc,
            ref,
            '/spec/backends',
            (o) => o.spec.backends,
            (list) => list.map((b) => ({ ...(b as object), weight: (b as { service: string }).service === c.canaryService ? weight : (b as { service: string }).service === c.stableService ? 100 - weight : 0 })),
          );
        },
      };
    }
  }
}
