// Every secret rollgate reads is registered here at once; everything it writes (logs,
// summaries, outputs, reports, error messages) passes through `mask` on the way out.

export class Secrets {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  private readonly onAdd?: (value: string) => void;
  constructor(onAdd?: (value: string) => void) {
    this.onAdd = onAdd;
  }

  /**
   * Registers a secret. A multi-line secret (a key, a certificate) is masked line by line
   * too, as the runner does, unless `lines` is false: a kubeconfig's lines are mostly
   * harmless YAML, so only its credential fields are registered one by one.
   */
  add(value: string | undefined, opts: { lines?: boolean } = {}): void {
    if (!value) return;
    const lines = opts.lines === false ? [] : value.split(/\r?\n/).map((l) => l.trim());
    const parts = [value, ...lines].filter((p) => p.length >= 4);
    for (const p of parts) {
      if (this.values.has(p)) continue;
      this.values.add(p);
      this.onAdd?.(p);
    }
    this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    if (this.values.size === 0 || !text) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, '***');
  }

  /** Masks every string inside a plain value. */
  maskValue<T>(value: T): T {
    if (this.values.size === 0) return value;
    return JSON.parse(this.mask(JSON.stringify(value))) as T;
  }
}
