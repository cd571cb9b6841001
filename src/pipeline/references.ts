// References carry values between stages: `$(inputs.version)`,
// `$(stages.build.outputs.tag)`, `$(stages.hook.outputs.json.items[0].id)`,
// `$(stages.build.status)`. The `$( )` form cannot be mistaken for GitHub's `${{ }}`,
// so a pipeline written inline in a workflow file passes through GitHub untouched.
// `$$(` writes a literal `$(`.

export type Reference =
  | { kind: 'input'; name: string; path: string[]; text: string }
  | { kind: 'stage-output'; stage: string; name: string; path: string[]; text: string }
  | { kind: 'stage-status'; stage: string; text: string };

const TOKEN = /\$\$\(|\$\(((?:[^()]|\([^()]*\))*)\)/g;

/** Splits `a.b[0]["c d"]` into ['a', 'b', '0', 'c d']. */
export function splitPath(text: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*(?:\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\])/y;
  let i = 0;
  const t = text.trim();
  while (i < t.length) {
    re.lastIndex = i;
    const m = re.exec(t);
    if (!m || m.index !== i || (i === 0 && t[0] === '.')) return undefined;
    out.push(m[1] ?? m[2] ?? (m[3] !== undefined ? JSON.parse(`"${m[3]}"`) : m[4]!));
    i = re.lastIndex;
  }
  return out.length ? out : undefined;
}

export function parseReference(inner: string): Reference | { error: string } {
  const text = `$(${inner})`;
  const parts = splitPath(inner);
  if (!parts) return { error: `${text} is not a reference; expected $(inputs.NAME) or $(stages.ID.outputs.NAME)` };
  const [root, ...rest] = parts;
  if (root === 'inputs' && rest.length >= 1) return { kind: 'input', name: rest[0]!, path: rest.slice(1), text };
  if (root === 'stages' && rest.length >= 3 && rest[1] === 'outputs')
    return { kind: 'stage-output', stage: rest[0]!, name: rest[2]!, path: rest.slice(3), text };
  if (root === 'stages' && rest.length === 2 && rest[1] === 'status') return { kind: 'stage-status', stage: rest[0]!, text };
  return {
    error: `${text} is not a reference; expected $(inputs.NAME), $(stages.ID.outputs.NAME[.path]) or $(stages.ID.status)`,
  };
}

/** Every reference in a string, with parse errors. */
export function findReferences(text: string): (Reference | { error: string })[] {
  const out: (Reference | { error: string })[] = [];
  for (const m of text.matchAll(TOKEN)) {
    if (m[0] === '$$(') continue;
    out.push(parseReference(m[1]!));
  }
  return out;
}

/** Walks every string inside a plain value, with its path. */
export function walkStrings(value: unknown, visit: (s: string, path: (string | number)[]) => void, path: (string | number)[] = []): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, visit, [...path, i]));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) walkStrings(v, visit, [...path, k]);
}

export type Resolver = (ref: Reference) => unknown;

/**
 * Replaces references in a plain value. A string that is exactly one reference takes
 * the referenced value with its type (a number stays a number); references inside
 * longer strings are written as text (objects as JSON).
 */
export function substitute(value: unknown, resolve: Resolver): unknown {
  if (typeof value === 'string') return substituteString(value, resolve);
  if (Array.isArray(value)) return value.map((v) => substitute(v, resolve));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, resolve)]));
  return value;
}

function substituteString(text: string, resolve: Resolver): unknown {
  const whole = /^\$\(((?:[^()]|\([^()]*\))*)\)$/.exec(text);
  if (whole) {
    const ref = parseReference(whole[1]!);
    if ('error' in ref) throw new Error(ref.error);
    return resolve(ref);
  }
  return text.replace(TOKEN, (m, inner: string | undefined) => {
    if (m === '$$(') return '$(';
    const ref = parseReference(inner!);
    if ('error' in ref) throw new Error(ref.error);
    const v = resolve(ref);
    return typeof v === 'string' ? v : v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Follows a path into an output value; JSON text is parsed on the way when needed. */
export function followPath(value: unknown, path: string[]): { found: true; value: unknown } | { found: false; at: string } {
  let cur = value;
  for (const key of path) {
    if (typeof cur === 'string') {
      try {
        cur = JSON.parse(cur);
      } catch {
        return { found: false, at: key };
      }
    }
    if (cur && typeof cur === 'object' && key in (cur as object)) cur = (cur as Record<string, unknown>)[key];
    else return { found: false, at: key };
  }
  return { found: true, value: cur };
}
