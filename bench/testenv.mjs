// The local environment's costs: one-time tool builds (recorded by build.sh when they
// ran), and `env:up` from nothing (tools cached) vs `env:up` when everything runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machine, record } from './lib.mjs';
import { cacheDir } from '../scripts/tools.mjs';

const timings = path.join(cacheDir, 'logs/timings.txt');
// A tool rebuilt later (cache cleared) shows up again: keep its slowest, first-time build.
const builds = Object.values(
  (existsSync(timings) ? readFileSync(timings, 'utf8').trim().split('\n') : [])
    .map((l) => l.split(' '))
    .reduce((acc, row) => {
      if (!acc[row[0]] || parseInt(row[1], 10) > parseInt(acc[row[0]][1], 10)) acc[row[0]] = row;
      return acc;
    }, {}),
);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-env-'));
const env = { ...process.env, ROLLGATE_ENV_DIR: dir, ROLLGATE_SKIP_BUILD: '1' };
const time = (cmd) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['scripts/testenv/env.mjs', cmd], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`env ${cmd} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
};
let cold, warm, down;
try {
  cold = time('up');
  warm = time('up');
  down = time('down');
} finally {
  spawnSync(process.execPath, ['scripts/testenv/env.mjs', 'reset'], { env });
  rmSync(dir, { recursive: true, force: true });
}
const total = builds.reduce((s, [, secs]) => s + parseInt(secs, 10), 0);
record(
  'testenv',
  `## Local environment

Method: each tool build is timed by \`scripts/testenv/build.sh\` when it runs (Go module downloads included, the first build on a fresh machine); \`env:up\` is timed here in a fresh directory with the tools cached: from nothing (cluster created, nodes added, services and Prometheus started, until Prometheus has samples from both services), again while everything runs, and \`env:down\`. ${machine()}.

| One-time build | Seconds | When |
| --- | --- | --- |
${builds.map(([name, secs, at]) => `| ${name} | ${parseInt(secs, 10)} | ${at} |`).join('\n')}
| **all, cold** | **${total}** (${(total / 60).toFixed(1)} min) | |

| Command | Seconds |
| --- | --- |
| \`env:up\` from nothing | ${cold.toFixed(1)} |
| \`env:up\` when running (reuse) | ${warm.toFixed(1)} |
| \`env:down\` | ${down.toFixed(1)} |`,
);
console.log({ cold, warm, down, total });
