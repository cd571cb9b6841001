// A small schema language: every schema both validates a plain value (turning it into
// a typed one, with issues that name the path, the bad value and the expected form)
// and describes itself as JSON Schema, so the published schema file and the
// validator can never disagree.

export type Path = readonly (string | number)[];

export interface Issue {
  path: Path;
  message: string;
}

export type JsonSchema = Record<string, unknown>;

/** A `$(...)` reference standing in for a whole non-string value, resolved at run time. */
export const WHOLE_REFERENCE = /^\$\((?:[^()]|\([^()]*\))*\)$/;

/** A value a field points at: another stage (by id) or a reference inside an expression. */
export interface FoundReference {
  path: Path;
  stage?: string;
  input?: string;
  text: string;
}

export interface ParseContext {
  issues: Issue[];
  /** Collected from expression and stage-id fields, for the upstream checks. */
  references?: FoundReference[];
  /** When true, a string that is one whole `$(...)` reference is accepted for any type. */
  deferReferences: boolean;
}

const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;
export { INVALID };

export abstract class Schema<T> {
  description?: string;
  abstract readonly expected: string;
  protected abstract check(value: unknown, path: Path, ctx: ParseContext): T | Invalid;
  protected abstract schema(): JsonSchema;

  /** Whether a whole `$(...)` reference may stand in for the value until run time: scalars only. */
  protected readonly deferrable: boolean = true;

  parse(value: unknown, path: Path, ctx: ParseContext): T | Invalid {
    if (this.deferrable && ctx.deferReferences && typeof value === 'string' && WHOLE_REFERENCE.test(value.trim())) {
      return value as unknown as T;
    }
    return this.check(value, path, ctx);
  }

  json(): JsonSchema {
    const s = this.schema();
    return this.description ? { description: this.description, ...s } : s;
  }

  /** A copy with this description: one schema used for two fields keeps both texts. */
  describe(text: string): this {
    const copy = Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this);
    copy.description = text;
    return copy;
  }

  protected fail(ctx: ParseContext, path: Path, value: unknown, detail?: string): Invalid {
    ctx.issues.push({
      path,
      message: `${detail ?? `has ${showValue(value)}`}; expected ${this.expected}`,
    });
    return INVALID;
  }
}

export function showValue(value: unknown): string {
  if (value === undefined) return 'no value';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${value.length} items)`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(s)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}

class StringSchema extends Schema<string> {
  readonly expected: string;
  private readonly opts: { pattern?: RegExp; patternText?: string; minLength?: number; maxLength?: number };
  constructor(opts: { pattern?: RegExp; patternText?: string; minLength?: number; maxLength?: number } = {}) {
    super();
    this.opts = opts;
    this.expected = opts.patternText ?? (opts.minLength ? 'a non-empty string' : 'a string');
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): string | Invalid {
    if (typeof value !== 'string') return this.fail(ctx, path, value);
    if (this.opts.minLength !== undefined && value.length < this.opts.minLength) return this.fail(ctx, path, value);
    if (this.opts.maxLength !== undefined && value.length > this.opts.maxLength)
      return this.fail(ctx, path, value, `is ${value.length} characters long`);
    if (this.opts.pattern && !this.opts.pattern.test(value)) return this.fail(ctx, path, value);
    return value;
  }
  protected schema(): JsonSchema {
    const s: JsonSchema = { type: 'string' };
    if (this.opts.pattern) s.pattern = this.opts.pattern.source;
    if (this.opts.minLength) s.minLength = this.opts.minLength;
    if (this.opts.maxLength) s.maxLength = this.opts.maxLength;
    return s;
  }
}

class NumberSchema extends Schema<number> {
  readonly expected: string;
  private readonly opts: { min?: number; max?: number; integer?: boolean };
  constructor(opts: { min?: number; max?: number; integer?: boolean } = {}) {
    super();
    this.opts = opts;
    const kind = opts.integer ? 'an integer' : 'a number';
    const range =
      opts.min !== undefined && opts.max !== undefined
        ? ` from ${opts.min} to ${opts.max}`
        : opts.min !== undefined
          ? ` of at least ${opts.min}`
          : opts.max !== undefined
            ? ` of at most ${opts.max}`
            : '';
    this.expected = kind + range;
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): number | Invalid {
    // Values resolved from references arrive as strings; accept plain numerals then.
    const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) return this.fail(ctx, path, value);
    if (this.opts.integer && !Number.isInteger(n)) return this.fail(ctx, path, value);
    if (this.opts.min !== undefined && n < this.opts.min) return this.fail(ctx, path, value);
    if (this.opts.max !== undefined && n > this.opts.max) return this.fail(ctx, path, value);
    return n;
  }
  protected schema(): JsonSchema {
    const s: JsonSchema = { type: this.opts.integer ? 'integer' : 'number' };
    if (this.opts.min !== undefined) s.minimum = this.opts.min;
    if (this.opts.max !== undefined) s.maximum = this.opts.max;
    return s;
  }
}

class BooleanSchema extends Schema<boolean> {
  readonly expected = 'true or false';
  protected check(value: unknown, path: Path, ctx: ParseContext): boolean | Invalid {
    if (typeof value === 'boolean') return value;
    // Resolved references are strings; only the two exact spellings count.
    if (value === 'true') return true;
    if (value === 'false') return false;
    return this.fail(ctx, path, value);
  }
  protected schema(): JsonSchema {
    return { type: 'boolean' };
  }
}

class EnumSchema<T extends string> extends Schema<T> {
  readonly expected: string;
  private readonly values: readonly T[];
  constructor(values: readonly T[]) {
    super();
    this.values = values;
    this.expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): T | Invalid {
    if (typeof value === 'string' && (this.values as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? suggest(value, this.values) : undefined;
    return this.fail(ctx, path, value, `has ${showValue(value)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  protected schema(): JsonSchema {
    return { type: 'string', enum: [...this.values] };
  }
}

class AnySchema extends Schema<unknown> {
  readonly expected = 'any value';
  protected check(value: unknown): unknown {
    return value;
  }
  protected schema(): JsonSchema {
    return {};
  }
}

class ArraySchema<T> extends Schema<T[]> {
  protected override readonly deferrable = false;
  readonly expected: string;
  private readonly item: Schema<T>;
  private readonly opts: { minItems?: number; maxItems?: number };
  constructor(item: Schema<T>, opts: { minItems?: number; maxItems?: number } = {}) {
    super();
    this.item = item;
    this.opts = opts;
    this.expected = `a list${opts.minItems ? ` of at least ${opts.minItems}` : ''} of ${item.expected}`;
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): T[] | Invalid {
    if (!Array.isArray(value)) return this.fail(ctx, path, value);
    if (this.opts.minItems !== undefined && value.length < this.opts.minItems)
      return this.fail(ctx, path, value, `has ${value.length} items`);
    if (this.opts.maxItems !== undefined && value.length > this.opts.maxItems)
      return this.fail(ctx, path, value, `has ${value.length} items`);
    const out: T[] = [];
    let ok = true;
    value.forEach((v, i) => {
      const r = this.item.parse(v, [...path, i], ctx);
      if (r === INVALID) ok = false;
      else out.push(r);
    });
    return ok ? out : INVALID;
  }
  protected schema(): JsonSchema {
    const s: JsonSchema = { type: 'array', items: this.item.json() };
    if (this.opts.minItems) s.minItems = this.opts.minItems;
    if (this.opts.maxItems) s.maxItems = this.opts.maxItems;
    return s;
  }
}

class RecordSchema<T> extends Schema<Record<string, T>> {
  protected override readonly deferrable = false;
  readonly expected: string;
  private readonly value: Schema<T>;
  private readonly key?: { pattern: RegExp; text: string };
  constructor(value: Schema<T>, key?: { pattern: RegExp; text: string }) {
    super();
    this.value = value;
    this.key = key;
    this.expected = `a mapping of ${key ? key.text : 'names'} to ${value.expected}`;
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): Record<string, T> | Invalid {
    if (!isPlainObject(value)) return this.fail(ctx, path, value);
    const out: Record<string, T> = {};
    let ok = true;
    for (const [k, v] of Object.entries(value)) {
      if (this.key && !this.key.pattern.test(k)) {
        ctx.issues.push({ path: [...path, k], message: `has the key ${JSON.stringify(k)}; expected ${this.key.text}` });
        ok = false;
        continue;
      }
      const r = this.value.parse(v, [...path, k], ctx);
      if (r === INVALID) ok = false;
      else out[k] = r;
    }
    return ok ? out : INVALID;
  }
  protected schema(): JsonSchema {
    const s: JsonSchema = { type: 'object', additionalProperties: this.value.json() };
    if (this.key) s.propertyNames = { pattern: this.key.pattern.source };
    return s;
  }
}

type Shape = Record<string, Schema<unknown>>;
type Out<S extends Shape, R extends keyof S> = { [K in R]: S[K] extends Schema<infer T> ? T : never } & {
  [K in Exclude<keyof S, R>]?: S[K] extends Schema<infer T> ? T : never;
};

export class ObjectSchema<S extends Shape, R extends keyof S & string> extends Schema<Out<S, R>> {
  protected override readonly deferrable = false;
  readonly expected: string;
  readonly shape: S;
  readonly required: readonly R[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly opts: { expected?: string; validate?: (v: any, path: Path, ctx: ParseContext) => void };
  constructor(
    shape: S,
    required: readonly R[] = [],
    opts: { expected?: string; validate?: (v: Out<S, R>, path: Path, ctx: ParseContext) => void } = {},
  ) {
    super();
    this.shape = shape;
    this.required = required;
    this.opts = opts;
    this.expected = opts.expected ?? `a mapping with ${describeKeys(Object.keys(shape), required)}`;
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): Out<S, R> | Invalid {
    if (!isPlainObject(value)) return this.fail(ctx, path, value);
    let ok = true;
    const out: Record<string, unknown> = {};
    const known = Object.keys(this.shape);
    for (const key of Object.keys(value)) {
      if (!(key in this.shape)) {
        const hint = suggest(key, known);
        ctx.issues.push({
          path: [...path, key],
          message: `is not a known key${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${known.join(', ')}`,
        });
        ok = false;
      }
    }
    for (const key of this.required) {
      if (value[key] === undefined || value[key] === null) {
        ctx.issues.push({ path: [...path, key], message: `is required; expected ${this.shape[key]!.expected}` });
        ok = false;
      }
    }
    for (const [key, schema] of Object.entries(this.shape)) {
      const v = value[key];
      if (v === undefined || v === null) continue;
      const r = schema.parse(v, [...path, key], ctx);
      if (r === INVALID) ok = false;
      else out[key] = r;
    }
    if (!ok) return INVALID;
    const before = ctx.issues.length;
    this.opts.validate?.(out as Out<S, R>, path, ctx);
    return ctx.issues.length === before ? (out as Out<S, R>) : INVALID;
  }
  /** The same mapping with more keys (the stage's own keys plus the common ones). */
  extend<S2 extends Shape, R2 extends keyof S2 & string = never>(shape: S2, required: readonly R2[] = []) {
    return new ObjectSchema<S & S2, R | R2>({ ...this.shape, ...shape }, [...this.required, ...required], {
      validate: this.opts.validate,
    });
  }
  protected schema(): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    for (const [k, s] of Object.entries(this.shape)) properties[k] = s.json();
    const s: JsonSchema = { type: 'object', properties, additionalProperties: false };
    if (this.required.length) s.required = [...this.required];
    return s;
  }
}

class UnionSchema<T> extends Schema<T> {
  readonly expected: string;
  private readonly options: Schema<T>[];
  constructor(options: Schema<T>[], expected?: string) {
    super();
    this.options = options;
    this.expected = expected ?? options.map((o) => o.expected).join(', or ');
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): T | Invalid {
    // Prefer the option whose shape matches (fewest issues), so errors stay specific.
    let best: { issues: Issue[]; result: T | Invalid } | undefined;
    for (const option of this.options) {
      const sub: ParseContext = { issues: [], deferReferences: ctx.deferReferences };
      const result = option.parse(value, path, sub);
      if (result !== INVALID) return result;
      const deepest = Math.max(...sub.issues.map((i) => i.path.length));
      const bestDepth = best ? Math.max(...best.issues.map((i) => i.path.length)) : -1;
      if (!best || deepest > bestDepth) best = { issues: sub.issues, result };
    }
    const deeper = best && best.issues.some((i) => i.path.length > path.length);
    if (deeper) {
      ctx.issues.push(...best!.issues);
      return INVALID;
    }
    return this.fail(ctx, path, value);
  }
  protected schema(): JsonSchema {
    return { anyOf: this.options.map((o) => o.json()) };
  }
}

/** A mapping chosen by its `type` key, each variant with its own keys. */
export class TaggedSchema<T> extends Schema<T> {
  protected override readonly deferrable = false;
  readonly expected: string;
  private readonly tag: string;
  private readonly variants: Record<string, Schema<T>>;
  constructor(tag: string, variants: Record<string, Schema<T>>) {
    super();
    this.tag = tag;
    this.variants = variants;
    this.expected = `a mapping whose ${tag} is one of ${Object.keys(variants).join(', ')}`;
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): T | Invalid {
    if (!isPlainObject(value)) return this.fail(ctx, path, value);
    const t = value[this.tag];
    const names = Object.keys(this.variants);
    if (typeof t !== 'string' || !this.variants[t]) {
      const hint = typeof t === 'string' ? suggest(t, names) : undefined;
      ctx.issues.push({
        path: [...path, this.tag],
        message: `${t === undefined ? 'is required' : `has ${showValue(t)}${hint ? ` (did you mean "${hint}"?)` : ''}`}; expected one of ${names.join(', ')}`,
      });
      return INVALID;
    }
    return this.variants[t]!.parse(value, path, ctx);
  }
  protected schema(): JsonSchema {
    return {
      type: 'object',
      required: [this.tag],
      properties: { [this.tag]: { enum: Object.keys(this.variants) } },
      allOf: Object.entries(this.variants).map(([name, s]) => ({
        if: { properties: { [this.tag]: { const: name } } },
        then: s.json(),
      })),
    };
  }
}

class MappedSchema<A, B> extends Schema<B> {
  readonly expected: string;
  private readonly inner: Schema<A>;
  private readonly map: (a: A) => B | { error: string };
  constructor(inner: Schema<A>, map: (a: A) => B | { error: string }, expected?: string) {
    super();
    this.inner = inner;
    this.map = map;
    this.expected = expected ?? inner.expected;
    this.description = inner.description;
  }
  protected check(value: unknown, path: Path, ctx: ParseContext): B | Invalid {
    const a = this.inner.parse(value, path, ctx);
    if (a === INVALID) return INVALID;
    const b = this.map(a);
    if (isErrorResult(b)) return this.fail(ctx, path, value, b.error);
    return b;
  }
  protected schema(): JsonSchema {
    return this.inner.json();
  }
}

function isErrorResult(v: unknown): v is { error: string } {
  return isPlainObject(v) && Object.keys(v).length === 1 && typeof v.error === 'string';
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeKeys(keys: string[], required: readonly string[]): string {
  if (!required.length) return `the optional keys ${keys.join(', ')}`;
  return `the keys ${required.join(', ')} (required)${keys.length > required.length ? ` and ${keys.filter((k) => !required.includes(k)).join(', ')}` : ''}`;
}

/** The closest known word, when it is close enough to be a likely typo. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export const s = {
  string: (opts?: ConstructorParameters<typeof StringSchema>[0]) => new StringSchema(opts),
  number: (opts?: ConstructorParameters<typeof NumberSchema>[0]) => new NumberSchema(opts),
  boolean: () => new BooleanSchema(),
  enum: <T extends string>(values: readonly T[]) => new EnumSchema<T>(values),
  any: () => new AnySchema(),
  array: <T>(item: Schema<T>, opts?: { minItems?: number; maxItems?: number }) => new ArraySchema(item, opts),
  record: <T>(value: Schema<T>, key?: { pattern: RegExp; text: string }) => new RecordSchema(value, key),
  object: <S extends Shape, R extends keyof S & string = never>(
    shape: S,
    required: readonly R[] = [],
    opts?: { expected?: string; validate?: (v: Out<S, R>, path: Path, ctx: ParseContext) => void },
  ) => new ObjectSchema<S, R>(shape, required, opts),
  union: <T>(options: Schema<T>[], expected?: string) => new UnionSchema<T>(options, expected),
  tagged: <T>(tag: string, variants: Record<string, Schema<T>>) => new TaggedSchema<T>(tag, variants),
  map: <A, B>(inner: Schema<A>, fn: (a: A) => B | { error: string }, expected?: string) =>
    new MappedSchema<A, B>(inner, fn, expected),
};

export type Infer<S> = S extends Schema<infer T> ? T : never;
