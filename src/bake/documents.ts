// The rendered YAML as a list of documents: what each is, and which to keep. The text of
// each kept document is written out as the tool printed it (helm's `# Source:` comments
// included), so the baked file reads like `helm template` output minus what was dropped.
import { parseDocument } from 'yaml';
import { isPlainObject } from '../config/schema.ts';
import { StageError } from '../pipeline/types.ts';

export interface RenderedDocument {
  text: string;
  kind?: string;
  name?: string;
  /** Helm's `# Source: chart/templates/x.yaml` comment, when there is one. */
  source?: string;
  /** A chart test: under templates/tests/, or a helm.sh/hook test annotation. */
  isTest: boolean;
}

// Helm and kustomize separate documents with a `---` line at column 0, and so do the
// Kubernetes YAML readers; block scalars cannot hold a column-0 line, so this split is exact
// for their output. A document may start on the marker's own line (`--- {…}`).
const MARKER = /^---(?:[ \t]+(.*))?$/;
const END = /^\.\.\.[ \t]*$/;

export function splitDocuments(yaml: string): RenderedDocument[] {
  const chunks: string[][] = [[]];
  for (const line of yaml.replace(/\r\n/g, '\n').split('\n')) {
    const m = MARKER.exec(line);
    if (m) {
      chunks.push(m[1] && !m[1].startsWith('#') ? [m[1]] : []);
      continue;
    }
    if (END.test(line)) continue;
    chunks.at(-1)!.push(line);
  }
  const out: RenderedDocument[] = [];
  chunks.forEach((lines, i) => {
    const text = lines.join('\n').trim();
    if (!text) return;
    const source = /^# Source: (.+)$/m.exec(text)?.[1]?.trim();
    const doc = parseDocument(text, { uniqueKeys: false });
    if (doc.errors.length)
      throw new StageError(`the rendered output's document ${i + 1}${source ? ` (${source})` : ''} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    const meta = isPlainObject(value) && isPlainObject(value.metadata) ? value.metadata : {};
    const annotations = isPlainObject(meta.annotations) ? meta.annotations : {};
    const hooks = typeof annotations['helm.sh/hook'] === 'string' ? annotations['helm.sh/hook'].split(',').map((h) => h.trim()) : [];
    out.push({
      text,
      kind: isPlainObject(value) && typeof value.kind === 'string' ? value.kind : undefined,
      name: typeof meta.name === 'string' ? meta.name : undefined,
      source,
      isTest: (source !== undefined && /(?:^|\/)templates\/tests\//.test(source)) || hooks.includes('test') || hooks.includes('test-success'),
    });
  });
  return out;
}

export function joinDocuments(docs: readonly RenderedDocument[]): string {
  return docs.map((d) => `---\n${d.text}\n`).join('');
}

/** Kinds in the order they first appear. */
export function kindsOf(docs: readonly RenderedDocument[]): string[] {
  return [...new Set(docs.map((d) => d.kind ?? '(no kind)'))];
}

export function describeDocument(d: RenderedDocument): string {
  return `${d.kind ?? '(no kind)'} ${d.name ?? '(no name)'}${d.source ? ` (${d.source})` : ''}`;
}
