// Cluster operations several stages share: waiting until stable, finding a workload's
// pods, moving pods in and out of load balancers, pruning old versions.
import { KubeError, type KubeClient, type KubeObject, type ObjectRef } from './client.ts';
import { stabilityOf, Stability } from './stability.ts';
import { A } from './annotations.ts';
import { podTemplateMeta, parseVersion } from './manifests.ts';
import { StageError } from '../pipeline/types.ts';
import type { Logger } from '../log/logger.ts';
import { sleep } from '../util/sleep.ts';
import { formatDuration } from '../config/duration.ts';

export const DEFAULT_WAIT_MS = 30 * 60_000;

export function refOf(o: KubeObject): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace };
}

export function describeRef(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** Reads the current state of many objects: one list per kind and namespace when several share it. */
async function readAll(kube: KubeClient, refs: ObjectRef[], signal: AbortSignal): Promise<Map<ObjectRef, KubeObject | undefined>> {
  const out = new Map<ObjectRef, KubeObject | undefined>();
  const groups = new Map<string, ObjectRef[]>();
  for (const r of refs) {
    const key = `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  await Promise.all(
    [...groups.values()].map(async (group) => {
      if (group.length < 3) {
        await Promise.all(group.map(async (r) => out.set(r, await kube.tryGet(r, signal))));
        return;
      }
      const { apiVersion, kind, namespace } = group[0]!;
      const byName = new Map((await kube.list(apiVersion, kind, { namespace, signal })).map((x) => [x.metadata.name, x]));
      for (const r of group) out.set(r, byName.get(r.name));
    }),
  );
  return out;
}

/** An API server that is down, restarting or overloaded: worth waiting for, not a verdict. */
function transient(e: unknown): e is KubeError {
  return e instanceof KubeError && (e.reason === 'Unreachable' || e.code === 429 || e.code >= 500);
}

/**
 * Polls until every resource is stable, fails at once when one has failed, and at the
 * timeout names each resource that is not stable and why. It polls every 200 ms for the
 * first 10 s, when most rollouts finish, then every 2 s, so long rollouts do not load the
 * API server; several objects of one kind cost one list request per poll. An API server
 * that goes away (a restart, an upgrade of the control plane) does not end the wait: it
 * goes on until the server is back or the timeout passes, and the timeout's message names
 * the outage.
 */
export async function waitStable(kube: KubeClient, refs: ObjectRef[], o: { timeoutMs: number; signal: AbortSignal; log: Logger }): Promise<void> {
  const started = Date.now();
  let pending = refs;
  let lastReport = 0;
  let states: { ref: ObjectRef; message: string }[] = [];
  let outage: KubeError | undefined;
  while (pending.length) {
    let current: Awaited<ReturnType<typeof readAll>>;
    try {
      current = await readAll(kube, pending, o.signal);
    } catch (e) {
      if (!transient(e)) throw e;
      const elapsed = Date.now() - started;
      if (elapsed > o.timeoutMs) throw new StageError(`not stable after ${formatDuration(o.timeoutMs)}: the API server did not answer (${e.message})`);
      if (!outage) o.log.warn(`${e.message}; still waiting (until ${formatDuration(o.timeoutMs)} after the wait began)`);
      outage = e;
      await sleep(2000, o.signal);
      continue;
    }
    if (outage) {
      o.log.info('the API server answers again; waiting on');
      outage = undefined;
    }
    const results = pending.map((ref) => {
      const obj = current.get(ref);
      if (!obj) return { ref, state: Stability.Failed, message: 'it no longer exists' };
      return { ref, ...stabilityOf(obj) };
    });
    const failed = results.find((r) => r.state === Stability.Failed);
    if (failed) throw new StageError(`${describeRef(failed.ref)} failed: ${failed.message}`);
    states = results.filter((r) => r.state !== Stability.Stable);
    pending = states.map((r) => r.ref);
    if (!pending.length) break;
    const elapsed = Date.now() - started;
    if (elapsed > o.timeoutMs)
      throw new StageError(
        `not stable after ${formatDuration(o.timeoutMs)}: ${states.map((r) => `${describeRef(r.ref)} (${r.message})`).join('; ')}`,
      );
    if (elapsed - lastReport > 10_000) {
      lastReport = elapsed;
      o.log.info(`waiting for ${states.map((r) => `${describeRef(r.ref)}: ${r.message}`).join('; ')}`);
    }
    await sleep(Math.min(elapsed < 10_000 ? 200 : 2000, Math.max(0, o.timeoutMs - elapsed) + 1), o.signal);
  }
  o.log.info(`stable: ${refs.map(describeRef).join(', ')} (${formatDuration(Date.now() - started)})`);
}

/** Pods a workload runs (through its ReplicaSets for a Deployment), matched by owner. */
export async function podsOf(kube: KubeClient, w: KubeObject, signal?: AbortSignal): Promise<KubeObject[]> {
  const ns = w.metadata.namespace;
  let owners = new Set([w.metadata.uid]);
  if (w.kind === 'Deployment') {
    const rss = await kube.list('apps/v1', 'ReplicaSet', { namespace: ns, signal });
    owners = new Set(rss.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === w.metadata.uid)).map((rs) => rs.metadata.uid));
  }
  const pods = await kube.list('v1', 'Pod', { namespace: ns, signal });
  return pods.filter((p) => p.metadata.ownerReferences?.some((r) => owners.has(r.uid)));
}

export interface LoadBalancerRef {
  kind: 'Service';
  name: string;
}

/** Reads `traffic.spinnaker.io/load-balancers: '["service my-svc"]'`. */
export function loadBalancersOf(o: KubeObject): LoadBalancerRef[] {
  const raw = o.metadata.annotations?.[A.loadBalancers];
  if (!raw) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new StageError(`${o.kind} ${o.metadata.name}: annotation ${A.loadBalancers} is not JSON (${raw}); expected e.g. '["service my-svc"]'`);
  }
  if (!Array.isArray(list)) throw new StageError(`${o.kind} ${o.metadata.name}: annotation ${A.loadBalancers} is not a list; expected e.g. '["service my-svc"]'`);
  return list.map((entry) => {
    const m = typeof entry === 'string' ? /^\s*service\s+([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\s*$/i.exec(entry) : null;
    if (!m) throw new StageError(`${o.kind} ${o.metadata.name}: load balancer ${JSON.stringify(entry)} in ${A.loadBalancers} is not "service <name>" (only Services can be load balancers)`);
    return { kind: 'Service' as const, name: m[1]! };
  });
}

/** The selectors of a workload's load balancers, checked as Spinnaker checks them. */
export async function loadBalancerSelectors(kube: KubeClient, w: KubeObject, opts: { checkOverlap: boolean; signal?: AbortSignal }): Promise<{ service: string; selector: Record<string, string> }[]> {
  const out: { service: string; selector: Record<string, string> }[] = [];
  const ns = w.metadata.namespace;
  for (const lb of loadBalancersOf(w)) {
    const svc = await kube.tryGet({ apiVersion: 'v1', kind: 'Service', name: lb.name, namespace: ns }, opts.signal);
    if (!svc) throw new StageError(`${w.kind} ${w.metadata.name}: load balancer Service ${ns}/${lb.name} does not exist; create it first`);
    const selector: Record<string, string> = svc.spec?.selector ?? {};
    if (!Object.keys(selector).length)
      throw new StageError(`Service ${ns}/${lb.name} has no selector; a load balancer must select pods by label for rollgate to attach and detach them`);
    if (opts.checkOverlap) {
      const own = podTemplateMeta(w)?.labels ?? {};
      const shared = Object.keys(selector).filter((k) => k in own);
      if (shared.length)
        throw new StageError(
          `Service ${ns}/${lb.name} selects on ${shared.map((k) => `"${k}"`).join(', ')}, which ${w.kind} ${w.metadata.name} already sets as its own pod label${shared.length > 1 ? 's' : ''}; a load balancer's selector must share no label keys with the workload's pods, or disabling one version would disable all (use a label only the Service selects on, e.g. "lb-${lb.name}: true")`,
        );
    }
    out.push({ service: lb.name, selector });
  }
  return out;
}

/** Adds or removes load-balancer labels on the pod template and on every running pod. */
export async function setTrafficMembership(
  kube: KubeClient,
  w: KubeObject,
  enable: boolean,
  o: { signal: AbortSignal; log: Logger; dryRun: boolean },
): Promise<{ services: string[]; pods: string[] }> {
  const selectors = await loadBalancerSelectors(kube, w, { checkOverlap: false, signal: o.signal });
  if (!selectors.length) throw new StageError(`${w.kind} ${w.metadata.namespace}/${w.metadata.name} has no load balancers (annotation ${A.loadBalancers}); nothing to ${enable ? 'enable' : 'disable'}`);
  const labels: Record<string, string | null> = {};
  for (const { selector } of selectors) for (const [k, v] of Object.entries(selector)) labels[k] = enable ? v : null;
  const template = w.kind === 'CronJob' ? { spec: { jobTemplate: { spec: { template: { metadata: { labels } } } } } } : { spec: { template: { metadata: { labels } } } };
  await kube.patch(refOf(w), template, 'merge', { dryRun: o.dryRun, signal: o.signal });
  const pods = await podsOf(kube, w, o.signal);
  await Promise.all(pods.map((p) => kube.patch(refOf(p), { metadata: { labels } }, 'merge', { dryRun: o.dryRun, signal: o.signal })));
  o.log.info(`${enable ? 'added' : 'removed'} ${Object.keys(labels).join(', ')} ${enable ? 'to' : 'from'} the pod template and ${pods.length} pod(s) of ${w.kind} ${w.metadata.name}`);
  return { services: selectors.map((x) => x.service), pods: pods.map((p) => p.metadata.name) };
}

/** Ready pod names behind a Service, from its EndpointSlices. */
export async function serviceEndpoints(kube: KubeClient, namespace: string, service: string, signal?: AbortSignal): Promise<Set<string>> {
  const slices = await kube.list('discovery.k8s.io/v1', 'EndpointSlice', { namespace, labelSelector: `kubernetes.io/service-name=${service}`, signal });
  const names = new Set<string>();
  for (const s of slices)
    for (const e of (s as { endpoints?: { targetRef?: { name: string }; conditions?: { ready?: boolean } }[] }).endpoints ?? [])
      if (e.targetRef?.name && e.conditions?.ready !== false) names.add(e.targetRef.name);
  return names;
}

/** Waits until the Services' endpoints include (enable) or exclude (disable) the pods. */
export async function waitEndpoints(
  kube: KubeClient,
  namespace: string,
  services: string[],
  pods: string[],
  enable: boolean,
  o: { timeoutMs: number; signal: AbortSignal; log: Logger },
): Promise<void> {
  const end = Date.now() + o.timeoutMs;
  let wrong: string[] = [];
  for (let delay = 100; ; delay = Math.min(delay * 1.5, 1000)) {
    wrong = [];
    for (const svc of services) {
      const eps = await serviceEndpoints(kube, namespace, svc, o.signal);
      for (const p of pods) if (eps.has(p) !== enable) wrong.push(`${svc}: ${p}`);
    }
    if (!wrong.length) return o.log.info(`Service endpoints ${enable ? 'include' : 'exclude'} the ${pods.length} pod(s)`);
    if (Date.now() > end)
      throw new StageError(`Service endpoints still ${enable ? 'lack' : 'include'} ${wrong.join(', ')} after ${formatDuration(o.timeoutMs)}`);
    await sleep(delay, o.signal);
  }
}

/** Deletes the oldest versions of a versioned resource beyond `keep`. */
export async function pruneVersions(kube: KubeClient, o: KubeObject, keep: number, opts: { signal: AbortSignal; log: Logger; dryRun: boolean }): Promise<string[]> {
  const base = parseVersion(o.metadata.name)?.base;
  if (!base) return [];
  const all = await kube.list(o.apiVersion, o.kind, { namespace: o.metadata.namespace, signal: opts.signal });
  const versions = all
    .filter((x) => parseVersion(x.metadata.name)?.base === base)
    .sort((a, b) => parseVersion(a.metadata.name)!.version - parseVersion(b.metadata.name)!.version);
  const doomed = versions.slice(0, Math.max(0, versions.length - keep));
  for (const d of doomed) await kube.delete(refOf(d), { dryRun: opts.dryRun, signal: opts.signal });
  if (doomed.length) opts.log.info(`max-version-history ${keep}: deleted ${doomed.map((d) => d.metadata.name).join(', ')}`);
  return doomed.map((d) => d.metadata.name);
}
