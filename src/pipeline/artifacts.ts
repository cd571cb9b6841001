import { s, isPlainObject, INVALID, type Infer } from '../config/schema.ts';

/** Artifact types rollgate produces or binds; other strings pass through untouched. */
export const ArtifactType = {
  DockerImage: 'docker/image',
  KubernetesManifest: 'kubernetes/manifest',
  EmbeddedBase64: 'embedded/base64',
  File: 'file',
} as const;

export const artifactSchema = s
  .object(
    {
      type: s.string({ minLength: 1 }).describe('Kind of artifact, e.g. docker/image or kubernetes/manifest.'),
      name: s.string({ minLength: 1 }).describe('What it is, e.g. ghcr.io/acme/web.'),
      reference: s.string().describe('Where to get it, e.g. ghcr.io/acme/web:1.4.2 or a file path.'),
      version: s.string().describe('Its version, e.g. 1.4.2.'),
      location: s.string().describe('A region, namespace or registry the artifact lives in.'),
      metadata: s.record(s.any()).describe('Free-form details.'),
    },
    ['type', 'name'],
  )
  .describe('A typed record of something a stage produced or needs (Spinnaker artifact model).');

export type Artifact = Infer<typeof artifactSchema>;

/** A pattern matching artifacts: `type` exact, `name` exact or with `*` wildcards. */
export const artifactMatchSchema = s
  .object(
    {
      type: s.string({ minLength: 1 }).describe('Artifact type, exact.'),
      name: s.string({ minLength: 1 }).describe('Artifact name; `*` matches any run of characters.'),
      version: s.string().describe('Artifact version, exact.'),
    },
    ['type'],
  )
  .describe('Matches artifacts by type and, optionally, name and version.');

export type ArtifactMatch = Infer<typeof artifactMatchSchema>;

export function matches(a: Artifact, m: ArtifactMatch): boolean {
  if (a.type !== m.type) return false;
  if (m.version !== undefined && a.version !== m.version) return false;
  if (m.name === undefined) return true;
  const re = new RegExp(`^${m.name.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(a.name);
}

export function describeMatch(m: ArtifactMatch): string {
  return `${m.type} ${m.name ?? '*'}${m.version ? `@${m.version}` : ''}`;
}

function escapeRegExp(t: string): string {
  return t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function artifactKey(a: Artifact): string {
  return `${a.type}\u0000${a.name}\u0000${a.version ?? ''}\u0000${a.reference ?? ''}`;
}

/** Adds artifacts to a list, newest last, without duplicates. */
export function mergeArtifacts(into: Artifact[], more: readonly Artifact[]): Artifact[] {
  const out = into.filter((a) => !more.some((b) => artifactKey(a) === artifactKey(b)));
  return [...out, ...more];
}

/**
 * Reads the `artifacts` JSON another job produced. Errors name the index and the field,
 * and say what the input should look like.
 */
export function parseArtifactList(text: string, source: string): Artifact[] | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) return [];
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (e) {
    return { error: `${source} is not JSON (${(e as Error).message}); expected the 'artifacts' output of an earlier rollgate step, a JSON list` };
  }
  if (isPlainObject(value) && Array.isArray(value.artifacts)) value = value.artifacts;
  const ctx = { issues: [] as { path: readonly (string | number)[]; message: string }[], deferReferences: false };
  const list = s.array(artifactSchema).parse(value, [], ctx);
  if (list === INVALID) {
    const first = ctx.issues[0]!;
    const where = first.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
    return { error: `${source}${where} ${first.message}` };
  }
  return list;
}
