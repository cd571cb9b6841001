// `npm run bench`: every benchmark, each writing its section of BENCHMARKS.md.
// `npm run bench -- startup` runs one (`npm run bench -- load`: the load section).
import { spawnSync } from 'node:child_process';

const all = ['startup', 'testenv', 'deploy', 'judge', 'canary', 'rollout', 'load'];
const only = process.argv.slice(2);
for (const name of only.length ? only : all) {
  console.log(`\n== bench: ${name}`);
  const r = spawnSync(process.execPath, [`bench/${name}.mjs`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
