// The condition language of `when` and of the precondition stage. It reads like
// GitHub's expressions and compares like them (loose equality, case-insensitive
// strings, numbers from numeric strings), so a workflow_dispatch input "3" equals 3.
//
//   inputs.target == 'production' && stages.tests.outputs.failed == 0
//   !(stages.scan.status == 'failed') || contains(inputs.flags, 'force')
//
// Only values are read: there are no assignments, no calls beyond the fixed
// functions below, and nothing reaches the process or the network.

import { parseReference, type Reference } from './references.ts';

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'ref'; ref: Reference; text: string }
  | { k: 'not'; e: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'list'; items: Node[] };

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  contains: (hay, needle) =>
    Array.isArray(hay) ? hay.some((h) => looseEquals(h, needle)) : toStr(hay).toLowerCase().includes(toStr(needle).toLowerCase()),
  startsWith: (a, b) => toStr(a).toLowerCase().startsWith(toStr(b).toLowerCase()),
  endsWith: (a, b) => toStr(a).toLowerCase().endsWith(toStr(b).toLowerCase()),
  matches: (a, re) => new RegExp(toStr(re)).test(toStr(a)),
  fromJSON: (a) => JSON.parse(toStr(a)),
};

export interface Expression {
  text: string;
  references: Reference[];
  evaluate(resolve: (ref: Reference) => unknown): { value: unknown; seen: { text: string; value: unknown }[] };
}

export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    const tok = next();
    if (tok?.v !== t) throw new ExpressionError(`expected "${t}" at position ${tok?.pos ?? text.length} in: ${text}`);
  };
  const refs: Reference[] = [];

  const parseOr = (): Node => {
    let l = parseAnd();
    while (peek()?.v === '||') {
      next();
      l = { k: 'bin', op: '||', l, r: parseAnd() };
    }
    return l;
  };
  const parseAnd = (): Node => {
    let l = parseCmp();
    while (peek()?.v === '&&') {
      next();
      l = { k: 'bin', op: '&&', l, r: parseCmp() };
    }
    return l;
  };
  const parseCmp = (): Node => {
    const l = parseUnary();
    const op = peek();
    if (op && op.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(op.v)) {
      next();
      return { k: 'bin', op: op.v, l, r: parseUnary() };
    }
    if (op && op.t === 'id' && op.v === 'in') {
      next();
      return { k: 'call', fn: 'contains', args: [parseUnary(), l] };
    }
    return l;
  };
  const parseUnary = (): Node => {
    if (peek()?.v === '!') {
      next();
      return { k: 'not', e: parseUnary() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): Node => {
    const tok = next();
    if (!tok) throw new ExpressionError(`unexpected end of expression: ${text}`);
    if (tok.t === 'num') return { k: 'lit', v: Number(tok.v) };
    if (tok.t === 'str') return { k: 'lit', v: tok.v };
    if (tok.v === '(') {
      const e = parseOr();
      expect(')');
      return e;
    }
    if (tok.v === '[') {
      const items: Node[] = [];
      if (peek()?.v !== ']') {
        do items.push(parseOr());
        while (peek()?.v === ',' && next());
      }
      expect(']');
      return { k: 'list', items };
    }
    if (tok.t === 'id') {
      if (tok.v === 'true' || tok.v === 'false') return { k: 'lit', v: tok.v === 'true' };
      if (tok.v === 'null') return { k: 'lit', v: null };
      if (peek()?.v === '(') {
        if (!FUNCTIONS[tok.v])
          throw new ExpressionError(`unknown function ${tok.v}() in: ${text}; expected one of ${Object.keys(FUNCTIONS).join(', ')}`);
        next();
        const args: Node[] = [];
        if (peek()?.v !== ')') {
          do args.push(parseOr());
          while (peek()?.v === ',' && next());
        }
        expect(')');
        return { k: 'call', fn: tok.v, args };
      }
      const ref = parseReference(tok.v);
      if ('error' in ref) throw new ExpressionError(`${tok.v} is not a value here; expected inputs.NAME, stages.ID.outputs.NAME or stages.ID.status (in: ${text})`);
      refs.push(ref);
      return { k: 'ref', ref, text: tok.v };
    }
    throw new ExpressionError(`unexpected "${tok.v}" at position ${tok.pos} in: ${text}`);
  };

  const root = parseOr();
  if (i < tokens.length) throw new ExpressionError(`unexpected "${tokens[i]!.v}" at position ${tokens[i]!.pos} in: ${text}`);

  return {
    text,
    references: refs,
    evaluate(resolve) {
      const seen = new Map<string, unknown>();
      const ev = (n: Node): unknown => {
        switch (n.k) {
          case 'lit':
            return n.v;
          case 'list':
            return n.items.map(ev);
          case 'ref': {
            const v = resolve(n.ref);
            seen.set(n.text, v);
            return v;
          }
          case 'not':
            return !truthy(ev(n.e));
          case 'call':
            return FUNCTIONS[n.fn]!(...n.args.map(ev));
          case 'bin': {
            if (n.op === '&&') {
              const l = ev(n.l);
              return truthy(l) ? ev(n.r) : l;
            }
            if (n.op === '||') {
              const l = ev(n.l);
              return truthy(l) ? l : ev(n.r);
            }
            const l = ev(n.l);
            const r = ev(n.r);
            if (n.op === '==') return looseEquals(l, r);
            if (n.op === '!=') return !looseEquals(l, r);
            return compare(l, r, n.op);
          }
        }
      };
      const value = ev(root);
      return { value, seen: [...seen].map(([t, v]) => ({ text: t, value: v })) };
    },
  };
}

export function truthy(v: unknown): boolean {
  return !(v === false || v === 0 || v === '' || v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)));
}

function toStr(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function toNum(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === 'object' && a !== null) return a === b;
  if (typeof b === 'object' && b !== null) return false;
  if (typeof a === typeof b) return a === b;
  return toNum(a) === toNum(b);
}

function compare(a: unknown, b: unknown, op: string): boolean {
  let x: number | string;
  let y: number | string;
  if (typeof a === 'string' && typeof b === 'string' && (Number.isNaN(Number(a)) || Number.isNaN(Number(b)))) {
    x = a.toLowerCase();
    y = b.toLowerCase();
  } else {
    x = toNum(a);
    y = toNum(b);
  }
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

interface Token {
  t: 'num' | 'str' | 'id' | 'op';
  v: string;
  pos: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re =
    /\s*(?:(-?\d+(?:\.\d+)?)|'((?:[^']|'')*)'|"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\['[^']*'\])*)|(==|!=|<=|>=|&&|\|\||[<>!()[\],]))/y;
  let i = 0;
  while (i < text.length) {
    if (/^\s*$/.test(text.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new ExpressionError(`cannot read "${text.slice(i).trim().slice(0, 20)}" at position ${i} in: ${text}`);
    const pos = m.index + m[0].length - m[0].trimStart().length;
    if (m[1] !== undefined) out.push({ t: 'num', v: m[1], pos });
    else if (m[2] !== undefined) out.push({ t: 'str', v: m[2].replace(/''/g, "'"), pos });
    else if (m[3] !== undefined) out.push({ t: 'str', v: JSON.parse(`"${m[3]}"`), pos });
    else if (m[4] !== undefined) out.push({ t: 'id', v: m[4], pos });
    else out.push({ t: 'op', v: m[5]!, pos });
    i = re.lastIndex;
  }
  return out;
}
