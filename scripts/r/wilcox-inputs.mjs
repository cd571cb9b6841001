// Writes test/fixtures/canary/wilcox-inputs.json: the samples whose known answers
// scripts/r/wilcox-fixtures.R computes with R. Deterministic (a fixed LCG), so rerunning it
// reproduces the committed file; add cases here, then rerun both scripts:
//   node scripts/r/wilcox-inputs.mjs && Rscript scripts/r/wilcox-fixtures.R
import { writeFileSync } from 'node:fs';
let s = 20240611;
const rnd = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s + 0.5) / 4294967296; };
const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
const r4 = (x) => Math.round(x * 1e4) / 1e4;
const normal = (n, mu, sd) => Array.from({ length: n }, () => r4(mu + sd * gauss()));
const ints = (n, lo, hi) => Array.from({ length: n }, () => lo + Math.floor(rnd() * (hi - lo + 1)));
const base = normal(40, 100, 10);
const wilcox = [
  { name: 'normal samples, n=40 each', x: normal(40, 100, 10), y: base },
  { name: 'shifted by +5', x: normal(40, 105, 10), y: normal(40, 100, 10) },
  { name: 'shifted by -3, unequal sizes', x: normal(25, 47, 4), y: normal(60, 50, 4) },
  { name: 'integer data with many ties', x: ints(50, 0, 6), y: ints(45, 1, 7) },
  { name: 'ties across both samples', x: [1, 2, 2, 3, 3, 3, 4], y: [2, 2, 3, 5, 5] },
  { name: 'tiny samples, n=2 and 3', x: [1.5, 2.25], y: [0.5, 1, 1.75] },
  { name: 'tiny samples, n=3 each', x: [10, 12, 15], y: [9, 11, 13] },
  { name: 'tiny samples, n=2 each, separated', x: [5, 6], y: [1, 2] },
  { name: 'one side constant', x: [3, 3, 3, 3, 3, 3, 3, 3], y: normal(20, 2.5, 0.8) },
  { name: 'both samples identical', x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], y: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  { name: 'negative values', x: normal(30, -20, 6), y: normal(35, -18, 6) },
  { name: 'large samples, n=500 each', x: normal(500, 250.4, 30), y: normal(500, 250, 30) },
  { name: 'large samples, n=500, shifted', x: normal(500, 12, 2), y: normal(500, 11.5, 2) },
  { name: 'skewed latencies', x: Array.from({ length: 80 }, () => r4(Math.exp(3 + 0.6 * gauss()))), y: Array.from({ length: 80 }, () => r4(Math.exp(2.9 + 0.6 * gauss()))) },
  { name: 'no overlap, clamped interval', x: [100, 101, 102, 103], y: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] },
  { name: 'single point against many', x: [1], y: Array.from({ length: 59 }, (_, i) => i + 2) },
  { name: 'large magnitudes, neighbours one ulp apart', x: Array.from({ length: 30 }, (_, i) => 1e15 + 0.125 * ((i * 7) % 23)), y: Array.from({ length: 25 }, (_, i) => 1e15 + 0.125 * ((i * 5) % 19) - 0.5) },
].map((c) => ({ ...c, confLevel: 0.98 }));
wilcox.push({ name: 'normal samples at 95%', x: wilcox[0].x, y: wilcox[0].y, confLevel: 0.95 });
const quantiles = [
  { name: 'ten values', values: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3] },
  { name: 'normal sample', values: normal(37, 0, 1) },
  { name: 'two values', values: [10, 20] },
  { name: 'one value', values: [7] },
].map((c) => ({ ...c, probs: [0.01, 0.25, 0.5, 0.75, 0.99] }));
const fences = [
  { name: 'with a far outlier', values: [...normal(30, 50, 2), 500], factor: 3 },
  { name: 'tight data', values: [10, 10, 10, 10.1, 10, 9.9, 10, 10, 10, 10.2], factor: 1.5 },
  { name: 'skewed', values: Array.from({ length: 45 }, () => r4(Math.exp(gauss()))), factor: 3 },
];
const cles = [
  { name: 'shifted', canary: wilcox[1].x, baseline: wilcox[1].y },
  { name: 'ties', canary: wilcox[4].x, baseline: wilcox[4].y },
  { name: 'identical', canary: [1, 2, 3], baseline: [1, 2, 3] },
];
const qnorm = [0.5, 0.01, 0.025, 0.001, 0.1, 0.3, 0.9, 0.99, 1e-10, 1e-15, 0.075, 0.925];
writeFileSync(process.argv[2] ?? "test/fixtures/canary/wilcox-inputs.json", JSON.stringify({ wilcox, quantiles, fences, cles, qnorm }, null, 1).replace(/\[[-\d.e+,\s]*\]/g, (m) => m.replace(/\s+/g, "")) + "\n");
