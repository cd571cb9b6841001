// A small seeded random source. Kayenta jitters constant series with an unseeded RNG, so the
// same data could be judged differently twice; ours is seeded, and seeded per series (from
// the judge seed, the metric name and the labels), so one series' noise never depends on
// which other series were judged before it.

export interface Random {
  /** Uniform in (0, 1). */
  uniform(): number;
  /** Standard normal. */
  gaussian(): number;
}

/** FNV-1a of a string, folded into 32 bits. */
function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: tiny, fast and well mixed; more than enough for jitter. */
export function createRandom(seed: number, key = ''): Random {
  let state = hash(key, Math.trunc(seed) | 0);
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const uniform = () => (next32() + 0.5) / 4294967296;
  return {
    uniform,
    // Box-Muller; one value per call keeps the sequence simple to reason about.
    gaussian: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

/** The key that seeds one series: its metric name and its labels in a stable order. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${name}{${parts.join(',')}}`;
}
