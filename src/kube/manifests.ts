// Preparing manifests for a deploy, as pure functions: reading documents, binding
// images, moniker/artifact annotations, `-vNNN` versions and ConfigMap/Secret references.
import { createHash } from 'node:crypto';
import type { KubeObject } from './client.ts';
import { A, L, MANAGED_BY } from './annotations.ts';
import { VERSIONED_BY_DEFAULT, spinnakerKind } from './kinds.ts';
import { ArtifactType, type Artifact } from '../pipeline/artifacts.ts';

export interface SourcedObject {
  object: KubeObject;
  /** Where it came from, for errors: "manifests[2]" or "deploy/web.yml (document 3)". */
  source: string;
}

/** Turns parsed YAML documents into objects, unrolling `List`s, and says what is wrong with each. */
export function toObjects(docs: { value: unknown; source: string }[]): { objects: SourcedObject[]; errors: string[] } {
  const objects: SourcedObject[] = [];
  const errors: string[] = [];
  const visit = (v: unknown, source: string) => {
    if (v === null || v === undefined) return;
    if (typeof v !== 'object' || Array.isArray(v)) return void errors.push(`${source} is not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)`);
    const o = v as Partial<KubeObject> & { items?: unknown[] };
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
      o.items.forEach((item, i) => visit(item, `${source} items[${i}]`));
      return;
    }
    const missing = [
      typeof o.apiVersion !== 'string' && 'apiVersion',
      typeof o.kind !== 'string' && 'kind',
      typeof o.metadata?.name !== 'string' && 'metadata.name',
    ].filter(Boolean);
    if (missing.length) return void errors.push(`${source} has no ${missing.join(', ')}; every manifest needs apiVersion, kind and metadata.name`);
    objects.push({ object: structuredClone(o) as KubeObject, source });
  };
  for (const d of docs) visit(d.value, d.source);
  return { objects, errors };
}

export function isVersioned(o: KubeObject): boolean {
  const a = o.metadata.annotations?.[A.versioned];
  if (a === 'true') return true;
  if (a === 'false') return false;
  return VERSIONED_BY_DEFAULT.has(o.kind);
}

/** Every pod spec inside an object, wherever its kind keeps it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podSpecs(o: KubeObject): any[] {
  if (o.kind === 'Pod') return o.spec ? [o.spec] : [];
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec ? [o.spec.jobTemplate.spec.template.spec] : [];
  return o.spec?.template?.spec ? [o.spec.template.spec] : [];
}

/** The pod template's metadata, where a kind has a template. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podTemplateMeta(o: KubeObject): any | undefined {
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template ? (o.spec.jobTemplate.spec.template.metadata ??= {}) : undefined;
  return o.spec?.template ? (o.spec.template.metadata ??= {}) : undefined;
}

/** `ghcr.io/acme/web:1.2@sha256:…` → `ghcr.io/acme/web`. */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export const BUILD_NUMBER_TAG = '_{BUILD_NUMBER}';

function imageReference(a: Artifact): string {
  return a.reference ?? (a.version ? `${a.name}:${a.version}` : a.name);
}

/** The newest of several builds of one image: the highest numeric version, else the last given. */
export function newest(artifacts: Artifact[]): Artifact | undefined {
  if (artifacts.every((a) => a.version !== undefined && /^\d+$/.test(a.version)))
    return [...artifacts].sort((a, b) => Number(a.version) - Number(b.version)).at(-1);
  return artifacts.at(-1);
}

export interface Binding {
  source: string;
  container: string;
  from: string;
  to: string;
}

/**
 * Replaces container and initContainer images with the docker image artifacts of the
 * same name (tag and digest ignored). `image: repo/app:_{BUILD_NUMBER}` takes the newest
 * build of repo/app. Returns what was bound, and errors for placeholders with no artifact.
 */
export function bindImages(objects: SourcedObject[], artifacts: readonly Artifact[]): { bindings: Binding[]; errors: string[] } {
  const images = artifacts.filter((a) => a.type === ArtifactType.DockerImage);
  const bindings: Binding[] = [];
  const errors: string[] = [];
  for (const { object, source } of objects) {
    for (const spec of podSpecs(object)) {
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        if (typeof c.image !== 'string') continue;
        const name = imageName(c.image);
        const candidates = images.filter((a) => imageName(a.name) === name);
        const placeholder = c.image.endsWith(`:${BUILD_NUMBER_TAG}`);
        if (!candidates.length) {
          if (placeholder)
            errors.push(`${source}: container ${c.name} asks for the newest build of ${name} (${c.image}), but no docker/image artifact named ${name} is available`);
          continue;
        }
        const pick = placeholder ? newest(candidates)! : candidates.at(-1)!;
        const to = imageReference(pick);
        bindings.push({ source, container: c.name, from: c.image, to });
        c.image = to;
      }
    }
  }
  return { bindings, errors };
}

/** Stable JSON (sorted keys) for hashing. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function manifestHash(o: KubeObject): string {
  const copy = structuredClone(o);
  delete copy.status;
  if (copy.metadata.annotations) delete copy.metadata.annotations[A.manifestHash];
  return createHash('sha256').update(canonical(copy)).digest('hex').slice(0, 16);
}

export function versionName(base: string, version: number): string {
  return `${base}-v${String(version).padStart(3, '0')}`;
}

const VERSION_SUFFIX = /^(.*)-v(\d{3,})$/;

export function parseVersion(name: string): { base: string; version: number } | undefined {
  const m = VERSION_SUFFIX.exec(name);
  return m ? { base: m[1]!, version: Number(m[2]) } : undefined;
}

/**
 * Picks the version for a versioned object: the newest existing version whose manifest
 * hash equals this one is reused; otherwise one past the highest.
 */
export function chooseVersion(base: string, hash: string, existing: KubeObject[]): { name: string; version: number; reused: boolean } {
  const versions = existing
    .map((o) => ({ o, v: parseVersion(o.metadata.name) }))
    .filter((x) => x.v?.base === base)
    .sort((a, b) => a.v!.version - b.v!.version);
  const same = versions.filter((x) => x.o.metadata.annotations?.[A.manifestHash] === hash).at(-1);
  if (same) return { name: same.o.metadata.name, version: same.v!.version, reused: true };
  const next = versions.length ? versions.at(-1)!.v!.version + 1 : 0;
  return { name: versionName(base, next), version: next, reused: false };
}

/** Moniker and artifact annotations/labels on the object and its pod template. */
export function annotate(o: KubeObject, m: { app: string; baseName: string; version?: number }): void {
  const cluster = `${spinnakerKind(o.kind)} ${m.baseName}`;
  const annotations: Record<string, string> = {
    [A.application]: m.app,
    [A.cluster]: cluster,
    [A.artifactType]: `kubernetes/${spinnakerKind(o.kind)}`,
    [A.artifactName]: m.baseName,
    [A.artifactLocation]: o.metadata.namespace ?? '',
  };
  const labels: Record<string, string> = { [L.name]: m.app, [L.managedBy]: MANAGED_BY };
  if (m.version !== undefined) {
    annotations[A.artifactVersion] = `v${String(m.version).padStart(3, '0')}`;
    annotations[A.sequence] = String(m.version);
    labels[L.sequence] = String(m.version);
  }
  o.metadata.annotations = { ...o.metadata.annotations, ...annotations };
  o.metadata.labels = { ...labels, ...o.metadata.labels };
  const tpl = podTemplateMeta(o);
  if (tpl) {
    tpl.annotations = { ...tpl.annotations, ...annotations };
    tpl.labels = { ...labels, ...tpl.labels };
  }
}

/** Points ConfigMap/Secret references in pod specs at the versions deployed with them. */
export function rewriteConfigReferences(o: KubeObject, configMaps: Map<string, string>, secrets: Map<string, string>): string[] {
  const changed: string[] = [];
  const swap = (map: Map<string, string>, holder: Record<string, unknown> | undefined, key: string, what: string) => {
    const name = holder?.[key];
    if (typeof name === 'string' && map.has(name) && map.get(name) !== name) {
      holder![key] = map.get(name);
      changed.push(`${what} ${name} → ${map.get(name)}`);
    }
  };
  for (const spec of podSpecs(o)) {
    for (const v of spec.volumes ?? []) {
      swap(configMaps, v.configMap, 'name', 'configMap');
      swap(secrets, v.secret, 'secretName', 'secret');
      for (const src of v.projected?.sources ?? []) {
        swap(configMaps, src.configMap, 'name', 'configMap');
        swap(secrets, src.secret, 'name', 'secret');
      }
    }
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const e of c.env ?? []) {
        swap(configMaps, e.valueFrom?.configMapKeyRef, 'name', 'configMap');
        swap(secrets, e.valueFrom?.secretKeyRef, 'name', 'secret');
      }
      for (const e of c.envFrom ?? []) {
        swap(configMaps, e.configMapRef, 'name', 'configMap');
        swap(secrets, e.secretRef, 'name', 'secret');
      }
    }
    for (const s of spec.imagePullSecrets ?? []) swap(secrets, s, 'name', 'secret');
  }
  return changed;
}
