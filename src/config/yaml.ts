import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { ConfigError } from './errors.ts';
import type { Path } from './schema.ts';

export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_ALIASES = 200;
const MAX_DEPTH = 64;

export interface LoadedYaml {
  source: string;
  value: unknown;
  /** Line and column (1-based) of the node at a path, or of its nearest existing parent. */
  locate(path: Path): { line: number; column: number } | undefined;
}

/**
 * Parses one YAML document, refusing what a configuration file never needs: more than
 * one document, huge input, alias bombs and absurd nesting. Every refusal names the
 * source and line.
 */
export function loadYaml(text: string, source: string): LoadedYaml {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      {
        source,
        path: [],
        message: `is ${Buffer.byteLength(text)} bytes; expected at most ${MAX_CONFIG_BYTES} bytes of YAML`,
      },
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const errors = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return {
      source,
      path: [],
      line: pos.line,
      column: pos.col,
      message: `is not valid YAML: ${e.message.split('\n')[0]}`,
    };
  });
  if (errors.length) throw new ConfigError(errors);

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw new ConfigError([
      {
        source,
        path: [],
        message: `could not be read: ${(e as Error).message} (aliases are limited to ${MAX_ALIASES} expansions)`,
      },
    ]);
  }
  const depth = depthOf(value, 0);
  if (depth > MAX_DEPTH) {
    throw new ConfigError([{ source, path: [], message: `is nested ${depth} levels deep; expected at most ${MAX_DEPTH}` }]);
  }

  const locate = (path: Path) => {
    let node: unknown = doc.contents;
    let last: Node | undefined = node as Node | undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        // Point unknown keys at the key itself, values at the value.
        last = (pair.key as Node) ?? last;
        node = pair.value;
        if (node) last = node as Node;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        if (!node) break;
        last = node as Node;
      } else break;
    }
    const range = last?.range;
    if (!range) return undefined;
    const pos = lineCounter.linePos(range[0]);
    return { line: pos.line, column: pos.col };
  };
  return { source, value, locate };
}

function depthOf(v: unknown, d: number): number {
  if (d > MAX_DEPTH) return d;
  if (Array.isArray(v)) return v.reduce<number>((m, x) => Math.max(m, depthOf(x, d + 1)), d + 1);
  if (v && typeof v === 'object') return Object.values(v).reduce<number>((m, x) => Math.max(m, depthOf(x, d + 1)), d + 1);
  return d;
}
