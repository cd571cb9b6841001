import { readFileSync, globSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { s, type Infer } from '../config/schema.ts';
import { artifactMatchSchema, ArtifactType, matches, describeMatch, type Artifact } from '../pipeline/artifacts.ts';
import { StageError, type StageContext, type StageType, type OutputValue } from '../pipeline/types.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { A } from '../kube/annotations.ts';
import { applyRank, spinnakerKind, WORKLOADS } from '../kube/kinds.ts';
import {
  annotate,
  bindImages,
  chooseVersion,
  isVersioned,
  manifestHash,
  podTemplateMeta,
  rewriteConfigReferences,
  toObjects,
  type SourcedObject,
} from '../kube/manifests.ts';
import { DEFAULT_WAIT_MS, describeRef, loadBalancerSelectors, pruneVersions, refOf, setTrafficMembership, waitStable } from '../kube/operations.ts';
import { changedPaths } from '../kube/diff.ts';
import { waitFields } from './kube-fields.ts';
import { workspacePath } from '../runner.ts';

const Strategy = { None: 'none', RedBlack: 'redblack', Highlander: 'highlander' } as const;

const schema = s.object(
  {
    manifests: s
      .union<unknown[] | string>([s.array(s.any()), s.string()], 'a list of manifests, or YAML text with one or more documents')
      .describe('Manifests inline: a list of objects, or YAML text (documents separated by ---).'),
    files: s.array(s.string({ minLength: 1 }), { minItems: 1 }).describe('Manifest files or globs in the workspace, e.g. deploy/*.yml.'),
    fromArtifact: artifactMatchSchema.describe('Deploy the manifests of an artifact, e.g. the product of a bake stage (kubernetes/manifest: a workspace file; embedded/base64: the YAML itself).'),
    namespace: s.string().describe('Namespace for namespaced manifests that name none. Default: the kubeconfig context\'s namespace.'),
    context: s.string().describe('Kubeconfig context for this stage.'),
    traffic: s.boolean().describe('Send traffic to the new pods: add each load balancer\'s selector labels (traffic.spinnaker.io/load-balancers) to the pod template. Default: true.'),
    strategy: s.enum(Object.values(Strategy)).describe('After the new version is stable: redblack disables the other versions of its cluster; highlander disables, then deletes them. Default: none.'),
    bindImages: s.boolean().describe('Replace container images with the docker/image artifacts of the same name. Default: true.'),
    ...waitFields,
  },
  [],
  {
    validate: (v, p, ctx) => {
      if (v.manifests === undefined && !v.files && !v.fromArtifact)
        ctx.issues.push({ path: p, message: 'has none of manifests, files, fromArtifact; expected at least one source of manifests' });
    },
  },
);

export type DeployConfig = Infer<typeof schema>;

export const deploy: StageType<DeployConfig> = {
  type: 'deploy',
  description: 'Applies manifests (server-side apply) with Spinnaker semantics: -vNNN versions, image binding, load balancers, max-version-history, red/black and highlander; waits until stable.',
  schema,
  outputs: {
    resources: 'JSON list of the applied resources: kind, namespace, name, version.',
    '<kind>': 'For each kind deployed (in Spinnaker spelling, e.g. replicaSet), the name of the last one applied, e.g. web-v002.',
    boundImages: 'JSON list of the images bound from artifacts.',
    pruned: 'Names deleted by max-version-history or the highlander strategy.',
  },
  run,
};

async function readSources(config: DeployConfig, ctx: StageContext): Promise<{ value: unknown; source: string }[]> {
  const docs: { value: unknown; source: string }[] = [];
  const parseText = (text: string, source: string) => {
    const parsed = parseAllDocuments(text);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((d, i) => {
      if (d.errors.length) throw new StageError(`${source}${list.length > 1 ? ` (document ${i + 1})` : ''} is not valid YAML: ${d.errors[0]!.message.split('\n')[0]}`);
      docs.push({ value: d.toJS({ maxAliasCount: 100 }), source: list.length > 1 ? `${source} (document ${i + 1})` : source });
    });
  };
  if (typeof config.manifests === 'string') parseText(config.manifests, 'manifests');
  else config.manifests?.forEach((m, i) => docs.push({ value: m, source: `manifests[${i}]` }));
  for (const [i, pattern] of (config.files ?? []).entries()) {
    workspacePath(ctx.workspace, pattern.replace(/\*.*$/, '') || '.', `files[${i}]`);
    const found = globSync(pattern, { cwd: ctx.workspace }).sort();
    if (!found.length) throw new StageError(`files[${i}]: ${JSON.stringify(pattern)} matches no file in the workspace ${ctx.workspace}`);
    for (const f of found) {
      const full = workspacePath(ctx.workspace, f, `files[${i}]`);
      parseText(readFileSync(full, 'utf8'), f);
    }
  }
  if (config.fromArtifact) {
    const a = [...ctx.artifacts].reverse().find((x) => matches(x, config.fromArtifact!));
    if (!a) throw new StageError(`fromArtifact: no artifact matches ${describeMatch(config.fromArtifact)}; available: ${ctx.artifacts.map((x) => `${x.type} ${x.name}`).join(', ') || '(none)'}`);
    if (a.type === ArtifactType.EmbeddedBase64) parseText(Buffer.from(a.reference ?? '', 'base64').toString('utf8'), `artifact ${a.name}`);
    else {
      if (!a.reference) throw new StageError(`fromArtifact: artifact ${a.type} ${a.name} has no reference (the path of its manifest file)`);
      const file = workspacePath(ctx.workspace, a.reference, `artifact ${a.name}`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        throw new StageError(
          `fromArtifact: the manifest file ${a.reference} of artifact ${a.name} is not in this workspace; if it was baked in another job, copy it with actions/upload-artifact and download-artifact (include-hidden-files: true), or bake with embed: true so the artifact carries the manifests itself`,
        );
      }
      parseText(text, `artifact ${a.name} (${a.reference})`);
    }
  }
  return docs;
}

async function run(config: DeployConfig, ctx: StageContext) {
  // The manifests first: bad input is reported before the cluster is contacted.
  const { objects, errors } = toObjects(await readSources(config, ctx));
  const kube = await ctx.kube(config.context);
  if (errors.length) throw new StageError(errors.join('; '));
  if (!objects.length) throw new StageError('no manifests to deploy');

  const namespace = config.namespace ?? kube.defaultNamespace;
  await Promise.all(
    objects.map(async ({ object }) => {
      if (await kube.namespaced(object.apiVersion, object.kind, ctx.signal)) object.metadata.namespace ??= namespace;
      else delete object.metadata.namespace;
    }),
  );

  // Bind images before anything is versioned or applied, so an unbound required artifact changes nothing.
  const bound = config.bindImages === false ? { bindings: [], errors: [] } : bindImages(objects, ctx.artifacts);
  if (bound.errors.length) throw new StageError(bound.errors.join('; '));
  for (const req of ctx.requiredArtifacts.filter((m) => m.type === ArtifactType.DockerImage)) {
    const used = bound.bindings.some((b) => ctx.artifacts.some((a) => matches(a, req) && b.to === (a.reference ?? `${a.name}:${a.version}`)));
    if (!used)
      throw new StageError(`required artifact ${describeMatch(req)} binds no container image in the manifests (images: ${imagesIn(objects).join(', ') || 'none'}); nothing was applied`);
  }
  for (const b of bound.bindings) ctx.log.info(`bound ${b.from} → ${b.to} (${b.source}, container ${b.container})`);

  // Versioned ConfigMaps and Secrets first, so workloads can point at their new versions.
  const versions = new Map<SourcedObject, number>();
  const configMaps = new Map<string, string>();
  const secrets = new Map<string, string>();
  const byBase = new Map<SourcedObject, string>();
  for (const so of objects) byBase.set(so, so.object.metadata.name);
  // One list per kind and namespace, shared by every object of that kind.
  const lists = new Map<string, Promise<KubeObject[]>>();
  const existingOf = (o: KubeObject) => {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    if (!lists.has(key)) lists.set(key, kube.list(o.apiVersion, o.kind, { namespace: o.metadata.namespace, signal: ctx.signal }));
    return lists.get(key)!;
  };
  const version = async (so: SourcedObject) => {
    const o = so.object;
    annotate(o, { app: ctx.app, baseName: byBase.get(so)! });
    if (!isVersioned(o)) return;
    const hash = manifestHash(o);
    const existing = await existingOf(o);
    const v = chooseVersion(byBase.get(so)!, hash, existing);
    o.metadata.name = v.name;
    o.metadata.annotations![A.manifestHash] = hash;
    annotate(o, { app: ctx.app, baseName: byBase.get(so)!, version: v.version });
    versions.set(so, v.version);
    ctx.log.info(`${o.kind} ${byBase.get(so)} → ${v.name}${v.reused ? ' (unchanged: reusing it)' : ''}`);
  };
  const isConfig = (x: SourcedObject) => x.object.kind === 'ConfigMap' || x.object.kind === 'Secret';
  await Promise.all(objects.filter(isConfig).map(version));
  for (const so of objects.filter(isConfig)) (so.object.kind === 'ConfigMap' ? configMaps : secrets).set(byBase.get(so)!, so.object.metadata.name);
  for (const so of objects) {
    for (const change of rewriteConfigReferences(so.object, configMaps, secrets)) ctx.log.info(`${so.source}: ${change}`);
  }
  await Promise.all(objects.filter((x) => !isConfig(x)).map(version));

  // Load balancers: check selectors, then attach the new pods unless traffic is off.
  const attached = new Map<KubeObject, string[]>();
  for (const { object } of objects) {
    if (!object.metadata.annotations?.[A.loadBalancers]) continue;
    const selectors = await loadBalancerSelectors(kube, object, { checkOverlap: true, signal: ctx.signal });
    if (config.traffic === false) continue;
    const tpl = podTemplateMeta(object);
    if (!tpl) throw new StageError(`${object.kind} ${object.metadata.name} has load balancers but no pod template`);
    for (const { selector } of selectors) tpl.labels = { ...tpl.labels, ...selector };
    attached.set(object, selectors.map((x) => x.service));
  }

  const ordered = [...objects].sort((a, b) => applyRank(a.object.kind) - applyRank(b.object.kind));
  const applied: KubeObject[] = [];
  const dry = ctx.dryRun;
  try {
    for (const rank of [...new Set(ordered.map((o) => applyRank(o.object.kind)))]) {
      const group = ordered.filter((o) => applyRank(o.object.kind) === rank);
      await Promise.all(
        group.map(async ({ object }) => {
          const before = dry ? await kube.tryGet(refOf(object), ctx.signal) : undefined;
          const result = await kube.apply(object, { dryRun: dry, signal: ctx.signal });
          applied.push(result);
          if (dry) {
            const changes = changedPaths(before, result);
            ctx.log.info(`dry run: ${describeRef(refOf(object))} ${!before ? 'would be created' : changes.length ? `would change ${changes.join(', ')}` : 'is unchanged'}`);
          } else ctx.log.info(`applied ${describeRef(refOf(object))}${attached.has(object) ? ` (traffic from ${attached.get(object)!.join(', ')})` : ''}`);
        }),
      );
    }
  } catch (e) {
    const done = new Set(applied.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`));
    const missing = ordered.filter((o) => !done.has(`${o.object.kind}/${o.object.metadata.namespace}/${o.object.metadata.name}`));
    throw new StageError(
      `${(e as Error).message}. Applied: ${applied.map((o) => describeRef(refOf(o))).join(', ') || 'nothing'}. Not applied: ${missing.map((o) => describeRef(refOf(o.object))).join(', ') || 'nothing'}. Running the stage again converges.`,
    );
  }

  const resources = ordered.map(({ object }) => ({
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    ...(object.metadata.annotations?.[A.artifactVersion] ? { version: object.metadata.annotations[A.artifactVersion] } : {}),
  }));
  const outputs: Record<string, OutputValue> = { resources, boundImages: bound.bindings.map((b) => b.to), pruned: [] };
  for (const r of resources) outputs[spinnakerKind(r.kind)] = r.name;
  const artifacts: Artifact[] = ordered.map(({ object }) => ({
    type: `kubernetes/${spinnakerKind(object.kind)}`,
    name: object.metadata.annotations?.[A.artifactName] ?? object.metadata.name,
    reference: object.metadata.name,
    location: object.metadata.namespace ?? '',
    ...(object.metadata.annotations?.[A.artifactVersion] ? { version: object.metadata.annotations[A.artifactVersion] } : {}),
  }));
  if (dry) return { outputs, artifacts };

  if (config.wait !== false) {
    const workloads = ordered.filter((o) => WORKLOADS.has(o.object.kind)).map((o) => refOf(o.object));
    await waitStable(kube, workloads, { timeoutMs: config.waitTimeout ?? DEFAULT_WAIT_MS, signal: ctx.signal, log: ctx.log });
  }

  const pruned: string[] = [];
  for (const { object } of ordered) {
    const keep = Number(object.metadata.annotations?.[A.maxVersionHistory]);
    if (versions.has(objects.find((o) => o.object === object)!) && Number.isInteger(keep) && keep > 0)
      pruned.push(...(await pruneVersions(kube, object, keep, { signal: ctx.signal, log: ctx.log, dryRun: false })));
  }
  if (config.strategy && config.strategy !== Strategy.None) pruned.push(...(await replaceOthers(kube, ordered, config.strategy, ctx)));
  outputs.pruned = pruned;
  return { outputs, artifacts };
}

function imagesIn(objects: SourcedObject[]): string[] {
  const out = new Set<string>();
  for (const { object } of objects)
    for (const c of [...(object.spec?.template?.spec?.containers ?? []), ...(object.spec?.containers ?? [])]) if (c.image) out.add(c.image);
  return [...out];
}

/** Red/black: disable every other version of each new workload's cluster; highlander: then delete them. */
async function replaceOthers(kube: KubeClient, ordered: SourcedObject[], strategy: string, ctx: StageContext): Promise<string[]> {
  const deleted: string[] = [];
  for (const { object } of ordered.filter((o) => o.object.metadata.annotations?.[A.loadBalancers])) {
    const cluster = object.metadata.annotations![A.cluster];
    const others = (await kube.list(object.apiVersion, object.kind, { namespace: object.metadata.namespace, signal: ctx.signal })).filter(
      (o) => o.metadata.name !== object.metadata.name && o.metadata.annotations?.[A.cluster] === cluster && o.metadata.annotations?.[A.application] === ctx.app,
    );
    for (const other of others) {
      await setTrafficMembership(kube, other, false, { signal: ctx.signal, log: ctx.log, dryRun: false });
      if (strategy === Strategy.Highlander) {
        await kube.delete(refOf(other), { signal: ctx.signal });
        deleted.push(other.metadata.name);
        ctx.log.info(`highlander: deleted ${describeRef(refOf(other))}`);
      } else ctx.log.info(`redblack: disabled ${describeRef(refOf(other))}`);
    }
  }
  return deleted;
}
