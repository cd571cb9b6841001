// What a dry run would change: leaf paths that differ between the live object and the
// server's dry-run result, ignoring what the server manages itself.
import type { KubeObject } from './client.ts';

const IGNORED = new Set(['metadata.resourceVersion', 'metadata.generation', 'metadata.managedFields', 'metadata.uid', 'metadata.creationTimestamp', 'status']);

export function changedPaths(before: KubeObject | undefined, after: KubeObject, limit = 12): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= limit || IGNORED.has(path)) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  };
  walk(before ?? {}, after, '');
  return out;
}
