// Sorting numeric samples ascending, fast. Every judged series is sorted once, and with
// 10,000-point series the engine's comparison sort dominated the judge's time. This is a
// three-pass LSD radix sort on the upper 32 bits of each double (sign, exponent and the top
// 20 bits of the mantissa), finished by an insertion pass that orders values agreeing in
// those bits. For measured data that pass has almost nothing to do; when it would have too
// much (values packed within a relative 1e-6 of each other), we fall back to the engine's sort.

const SMALL = 256;
const RADIX_BITS = 11;
const BUCKETS = 1 << RADIX_BITS;
const MASK = BUCKETS - 1;

// Which 32-bit word of a double holds the sign and exponent on this platform.
const HIGH = new Uint8Array(new Float64Array([-0]).buffer)[7] === 0x80 ? 1 : 0;

/** Sorts finite values (no NaN) ascending in place and returns the same array. */
export function sortAscending(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < SMALL) return values.sort();

  // Order-preserving unsigned keys: negative doubles have all bits flipped, others the sign bit.
  let keys = new Uint32Array(n);
  let vals = values.slice();
  const words = new Uint32Array(vals.buffer, vals.byteOffset, 2 * n);
  const hist = new Uint32Array(3 * BUCKETS);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + HIGH]!;
    const key = (hi & 0x80000000 ? ~hi : hi | 0x80000000) >>> 0;
    keys[i] = key;
    hist[key & MASK]!++;
    hist[BUCKETS + ((key >>> RADIX_BITS) & MASK)]!++;
    hist[2 * BUCKETS + (key >>> (2 * RADIX_BITS))]!++;
  }
  let keysOut = new Uint32Array(n);
  let valsOut = new Float64Array(n);
  for (let pass = 0; pass < 3; pass++) {
    const base = pass * BUCKETS;
    const shift = pass * RADIX_BITS;
    // A digit shared by every key orders nothing: skip the pass.
    if (hist[base + ((keys[0]! >>> shift) & MASK)] === n) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = hist[base + b]!;
      hist[base + b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const at = hist[base + ((key >>> shift) & MASK)]!++;
      keysOut[at] = key;
      valsOut[at] = vals[i]!;
    }
    [keys, keysOut] = [keysOut, keys];
    [vals, valsOut] = [valsOut, vals];
  }

  // Insertion pass over runs that share the upper 32 bits; give up past a budget of moves.
  let budget = 8 * n;
  for (let i = 1; i < n; i++) {
    const v = vals[i]!;
    let j = i - 1;
    if (keys[j] !== keys[i] || vals[j]! <= v) continue;
    while (j >= 0 && keys[j] === keys[i] && vals[j]! > v) {
      vals[j + 1] = vals[j]!;
      j--;
      if (--budget < 0) return values.sort();
    }
    vals[j + 1] = v;
  }
  values.set(vals);
  return values;
}
