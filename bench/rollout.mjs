// Rollback speed of the rollout stage, next to seed 002's figure (mean rollback 28 s
// with Argo Rollouts, 4 min before): (1) from a failed analysis verdict to all traffic
// on stable (no canary pod left in the Service's endpoints), in-process; (2) from an
// abort request (the bundled CLI started with action: abort) to the canary scaled to 0.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPipeline } from '../src/config/pipeline.ts';
import { runPipeline } from '../src/pipeline/engine.ts';
import { stageTypes } from '../src/stages/registry.ts';
import { StageLogMux } from '../src/log/logger.ts';
import { Secrets } from '../src/log/secrets.ts';
import { createHttpClient } from '../src/http/client.ts';
import { kubeFactory } from '../src/runner.ts';
import { median, machine, record } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const env = JSON.parse(readFileSync('.testenv/env.json', 'utf8'));
const procEnv = { ...process.env, KUBECONFIG: env.KUBECONFIG };
const kubectl = (args, input) => {
  const r = spawnSync(env.ROLLGATE_KUBECTL, args, { env: procEnv, encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-rollout-'));

function setup(ns) {
  kubectl(['create', 'namespace', ns]);
  const docs = ['stable', 'canary'].map(
    (t) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web-${t}, namespace: ${ns} }\nspec:\n  replicas: ${t === 'stable' ? 8 : 0}\n  selector: { matchLabels: { app: web, track: ${t} } }\n  template:\n    metadata: { labels: { app: web, track: ${t} } }\n    spec: { containers: [{ name: web, image: "web:${t}" }] }`,
  );
  docs.push(`apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: ${ns} }\nspec: { selector: { app: web }, ports: [{ port: 80 }] }`);
  kubectl(['apply', '-f', '-'], docs.join('\n---\n'));
  kubectl(['-n', ns, 'rollout', 'status', 'deployment/web-stable', '--timeout=60s']);
}

const pipelineText = (ns, steps, action = 'run') => `name: bench
stages:
  - id: rollout
    type: rollout
    action: ${action}
    stable: { kind: Deployment, name: web-stable, namespace: ${ns} }
    canary: { kind: Deployment, name: web-canary, namespace: ${ns} }
    router: { type: replicas, service: web }
    steps:
${steps}
`;

const verdict = [];
const abort = [];
for (let round = 0; round < ROUNDS; round++) {
  // (1) A failed verdict: the retrospective analysis judges a canary with 5× the errors.
  const ns1 = `bench-ro-v-${process.pid}-${round}`;
  setup(ns1);
  const end = new Date().toISOString();
  const start = new Date(Date.now() - 20_000).toISOString();
  const analysis = `      - analysis:
          metricStore: { url: "${env.PROMETHEUS_URL}" }
          startTime: "${start}"
          endTime: "${end}"
          step: 1s
          baseline: baseline
          canary: nothing-here
          canaryConfig:
            name: c
            groups: { g: 100 }
            metrics:
              - { name: up, groups: [g], mustHaveData: true, query: 'sum(rate(http_requests_total{scope="\${scope}"}[5s]))' }`;
  const pipeline = loadPipeline(pipelineText(ns1, `      - setWeight: 50\n${analysis}`), 'bench.yml', stageTypes);
  const secrets = new Secrets();
  const report = await runPipeline({
    pipeline, registry: stageTypes, inputs: {}, artifacts: [], dryRun: false, workspace: process.cwd(), tempDir: '/tmp', reportDir: dir,
    env: procEnv, http: createHttpClient(), kube: kubeFactory({ kubeconfigPath: env.KUBECONFIG }, procEnv), secrets, signal: new AbortController().signal,
    mux: new StageLogMux({ line() {}, startGroup() {}, endGroup() {} }, secrets),
  });
  const st = report.stages[0];
  if (st.outputs.phase !== 'aborted') throw new Error(`expected an abort: ${st.error}`);
  verdict.push(st.outputs.rollbackSeconds);
  kubectl(['delete', 'namespace', ns1, '--wait=false']);

  // (2) An abort request from a later job: the CLI with action: abort.
  const ns2 = `bench-ro-a-${process.pid}-${round}`;
  setup(ns2);
  const paused = path.join(dir, `${ns2}.yml`);
  writeFileSync(paused, pipelineText(ns2, '      - setWeight: 50\n      - pause: {}'));
  const cli = path.resolve('dist/cli/index.js');
  const r = spawnSync(process.execPath, [cli, 'run', paused], { env: procEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not pause: ${r.stdout}${r.stderr}`);
  writeFileSync(paused, pipelineText(ns2, '      - setWeight: 50\n      - pause: {}', 'abort'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'run', paused], { env: procEnv, stdio: 'ignore' });
  const closed = new Promise((res) => child.on('close', res));
  let zeroAt;
  while (zeroAt === undefined) {
    const s = JSON.parse(kubectl(['-n', ns2, 'get', 'deployment/web-canary', '-o', 'json']));
    if ((s.status.replicas ?? 0) === 0 && s.spec.replicas === 0) zeroAt = performance.now();
    else await new Promise((res) => setTimeout(res, 50));
  }
  await closed;
  abort.push((zeroAt - t0) / 1000);
  kubectl(['delete', 'namespace', ns2, '--wait=false']);
}
record(
  'rollout',
  `## Rollout: rollback speed

Method: a stable Deployment of 8 pods and a canary behind one Service (replicas router), on the local cluster. (1) The rollout goes to 50% and runs an analysis that fails (the canary has no data and the metric must have data); measured by the stage itself: from the failed verdict to the moment no canary pod is left in the Service's EndpointSlices. (2) A rollout paused at 50% is aborted by a second run of the bundled CLI with \`action: abort\` (as a later job would); measured from starting that process to the canary Deployment reporting 0 replicas. ${ROUNDS} rounds. ${machine()}.

| Measure | Median | Rounds (s) | Seed 002 (Argo Rollouts) |
| --- | --- | --- | --- |
| Failed verdict → all traffic on stable | ${median(verdict).toFixed(2)} s | ${verdict.map((x) => x.toFixed(2)).join(', ')} | 28 s mean rollback (4 min before) |
| Abort request → canary at 0 replicas | ${median(abort).toFixed(2)} s | ${abort.map((x) => x.toFixed(2)).join(', ')} | |

The rollback is one write (the canary scaled to 0), after which the endpoint controller removes the canary pods; the stable pods served throughout and are scaled back to full size right after.`,
);
console.log({ verdict, abort });
