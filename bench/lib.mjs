// Shared helpers for benchmarks: run a command, time it, record results in BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** Spawns a process; resolves with the time to a marker on stdout, to exit, and peak RSS (KiB). */
export function timeProcess(cmd, args, { env, cwd, marker } = {}) {
  const useTime = existsSync('/usr/bin/time');
  const [c, a] = useTime ? ['/usr/bin/time', ['-f', '__RSS__%M', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let markerMs;
    let out = '';
    let err = '';
    const child = spawn(c, a, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => {
      out += d;
      if (markerMs === undefined && marker && out.includes(marker)) markerMs = performance.now() - t0;
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const exitMs = performance.now() - t0;
      const rss = /__RSS__(\d+)/.exec(err);
      resolve({ code, exitMs, markerMs, rssKiB: rss ? Number(rss[1]) : undefined, out, err });
    });
  });
}

export const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmt = (ms) => (ms === undefined ? 'n/a' : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);

export function machine() {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces one section of BENCHMARKS.md (between markers), keeping the others. */
export function record(name, markdown) {
  const file = 'BENCHMARKS.md';
  let text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nWritten by `npm run bench` (each section by its own benchmark). The machine is noisy, so every comparison is run side by side in one run, alternating, and reported as medians and ratios.\n';
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const re = new RegExp(`${begin}[\\s\\S]*?${end}`);
  text = re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}
