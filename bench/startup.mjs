// Cold start of the action: `node dist/index.js` with a trivial inline stage, as the
// runner starts it, to the first stage's start (its ::group:: line) and to exit;
// side by side with a peer action's bundle (Azure/k8s-deploy v7, lib/index.js), run
// the same way. The peer's file is read from a fetched mirror when one is on this
// machine; nothing of it is stored in this repository.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { timeProcess, median, fmt, machine, record } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const root = path.resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));

function runnerEnv(inputs) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: tmp, RUNNER_TEMP: tmp };
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE']) {
    env[f] = path.join(tmp, f.toLowerCase());
    writeFileSync(env[f], '');
  }
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return env;
}

let peer;
const mirror = process.env.PEER_K8S_DEPLOY_GIT ?? '/work/.mirror/Azure+k8s-deploy/repo';
if (existsSync(mirror)) {
  peer = path.join(tmp, 'k8s-deploy-v7.mjs');
  writeFileSync(peer, execFileSync('git', ['--git-dir', mirror, 'show', 'v7:lib/index.js'], { maxBuffer: 64 * 1024 * 1024 }));
  writeFileSync(path.join(tmp, 'package.json'), '{"type":"module"}');
}

const ours = path.join(root, 'dist/index.js');
const samples = { ours: [], peer: [] };
for (let i = 0; i < ROUNDS; i++) {
  samples.ours.push(await timeProcess(process.execPath, [ours], { env: runnerEnv({ stage: 'type: wait\nduration: 0' }), cwd: tmp, marker: '::group::' }));
  // The peer reads its inputs and stops at its first check (no cluster here): start-up cost only.
  if (peer) samples.peer.push(await timeProcess(process.execPath, [peer], { env: runnerEnv({ action: 'deploy', manifests: 'none.yml', namespace: 'default' }), cwd: tmp }));
}
const ok = samples.ours.every((s) => s.code === 0);
if (!ok) throw new Error(`rollgate exited non-zero: ${samples.ours.find((s) => s.code !== 0).out}`);

const m = (xs, k) => median(xs.map((x) => x[k]));
const oursFirst = m(samples.ours, 'markerMs');
const oursExit = m(samples.ours, 'exitMs');
const peerExit = peer ? m(samples.peer, 'exitMs') : undefined;
const size = (f) => `${(statSync(f).size / 1024).toFixed(0)} KiB`;
const rss = (xs) => {
  const v = m(xs, 'rssKiB');
  return v === undefined ? 'n/a' : `${(v / 1024).toFixed(0)} MiB`;
};
const rows = [
  `| rollgate \`dist/index.js\` | ${size(ours)} | ${fmt(oursFirst)} | ${fmt(oursExit)} | ${rss(samples.ours)} |`,
  peer ? `| Azure/k8s-deploy v7 \`lib/index.js\` | ${size(peer)} | n/a | ${fmt(peerExit)} | ${rss(samples.peer)} |` : '| Azure/k8s-deploy v7 | (no mirror on this machine) | | | |',
];
record(
  'startup',
  `## Action cold start

Method: \`node dist/index.js\` started as the runner starts it (INPUT_* variables, GITHUB_OUTPUT/STATE/STEP_SUMMARY files) with one inline \`wait: 0\` stage; time from spawn to the first stage's \`::group::\` line and to exit; peak RSS from \`/usr/bin/time\`. The peer, Azure/k8s-deploy v7's committed bundle, is run the same way with deploy inputs (it stops at its first check, no cluster). ${ROUNDS} rounds, alternating, medians. ${machine()}.

| Bundle | Size | Start → first stage | Start → exit | Peak RSS |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

${peer ? `rollgate reaches its first stage in ${(oursFirst / peerExit).toFixed(2)}× the time the peer takes to start and exit (goal: under 150 ms and faster than the peer).` : ''}`,
);
console.log(rows.join('\n'));
