// Cancellation of every long stage, as a runner cancels a job: the bundled action runs as
// its own process (test/helpers/runner.ts plays the runner) and gets SIGTERM or SIGINT while
// the stage waits — deploy on a rollout that cannot finish, an analysis with an hour to go, a
// rollout paused between steps, a workflow run and a Jenkins build that never end. Each time
// the stage must stop within the stop grace period (not run on for the hour it had left),
// the rollout must put all traffic back on stable, the outputs and the report must be
// written, the exit code must be non-zero and the post step must remove the temporary files
// (the kubeconfig written from the input among them). GitHub and Jenkins are played by the
// contract-checking fakes (test/helpers/github-fake.ts, jenkins-fake.ts): they cannot run
// here. The cluster and Prometheus are the local environment's.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStep, type StepResult } from '../helpers/runner.ts';
import { testEnv, kubectl, eventually, scratchNamespaces, getJson } from '../helpers/testenv.ts';
import { startGitHubFake, RunState, type GitHubFake } from '../helpers/github-fake.ts';
import { startJenkinsFake, type JenkinsFake } from '../helpers/jenkins-fake.ts';
import { stableAndCanary } from '../helpers/workloads.ts';

const env = testEnv();
const ns = scratchNamespaces(env, 'cancel');
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

/** How long a stage may take to stop after the signal: the engine's stop grace (10 s) plus start-up slack. */
const STOP_BOUND_MS = 20_000;

/**
 * Runs the action with a pipeline, sends `signal` once `ready()` holds, and returns the step's
 * result with how long the process took to exit after the signal.
 */
async function cancelWhen(
  pipeline: string,
  ready: () => Promise<boolean> | boolean,
  signal: NodeJS.Signals,
  extra: { inputs?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<StepResult & { stopMs: number }> {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'cancel-ws-'));
  writeFileSync(path.join(ws, 'pipeline.yml'), pipeline);
  let pid = 0;
  let signalledAt = 0;
  const pending = runStep({ inputs: { pipeline: 'pipeline.yml', ...extra.inputs }, workspace: ws, env: extra.env, onSpawn: (p) => (pid = p) });
  await eventually('the stage to reach its waiting point', async () => pid !== 0 && (await ready()), 90_000);
  signalledAt = performance.now();
  process.kill(pid, signal);
  const r = await pending;
  return { ...r, stopMs: performance.now() - signalledAt };
}

function assertStopped(r: StepResult & { stopMs: number }, stage: string): Record<string, unknown> {
  assert.equal(r.exitCode, 1, r.stdout + r.stderr);
  assert.ok(r.stopMs < STOP_BOUND_MS, `stopped ${Math.round(r.stopMs)} ms after the signal`);
  assert.equal(r.outputs.result, 'cancelled');
  assert.equal(r.outputs[`${stage}-status`], 'cancelled');
  const report = JSON.parse(readFileSync(r.outputs.report!, 'utf8'));
  assert.equal(report.result, 'cancelled');
  const st = report.stages.find((s: { id: string }) => s.id === stage);
  assert.equal(st.status, 'cancelled');
  assert.equal(r.post?.exitCode, 0);
  assert.ok(!existsSync(r.state.tempDir!), 'the post step removed the temporary directory');
  return st;
}

describe('SIGTERM / SIGINT during every long stage', () => {
  test('deploy waiting for a rollout that cannot finish (SIGTERM): stops, and the kubeconfig written from the input is removed', async () => {
    const n = ns();
    const r = await cancelWhen(
      `name: c
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    waitTimeout: 1h
    manifests:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: stuck }
        spec:
          replicas: 1
          selector: { matchLabels: { app: stuck } }
          template:
            metadata: { labels: { app: stuck } }
            # No node has this label: the pod stays Pending, the rollout never completes.
            spec: { nodeSelector: { rollgate.dev/nowhere: "true" }, containers: [{ name: c, image: stuck:1 }] }
`,
      () => kubectl(env, ['-n', n, 'get', 'deployment/stuck']).status === 0,
      'SIGTERM',
      { inputs: { kubeconfig: readFileSync(env.KUBECONFIG, 'utf8') } },
    );
    const st = assertStopped(r, 'deploy');
    assert.match(String(st.reason), /cancelled: the run was cancelled \(received SIGTERM\)/);
    // The kubeconfig was written inside the temporary directory (gone, asserted above); no
    // copy of it is left anywhere under the runner's temp directory either.
    const content = readFileSync(env.KUBECONFIG, 'utf8');
    const left = readdirSync(r.runnerTemp, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.join(d.parentPath, d.name))
      .filter((f) => readFileSync(f, 'utf8').includes(content));
    assert.deepEqual(left, [], 'the written kubeconfig is gone');
    assert.equal(getJson(env, n, 'deployment/stuck').spec.replicas, 1, 'what was applied stays as applied');
  });

  test('canary analysis with an hour left (SIGINT): stops, and the partial report is written and named in the outputs', async () => {
    const r = await cancelWhen(
      `name: c
metricStores:
  local: { url: ${env.PROMETHEUS_URL} }
stages:
  - id: analysis
    type: canary-analysis
    metricStore: local
    lifetime: 1h
    interval: 2s
    step: 1s
    baseline: baseline
    canary: canary
    canaryConfig:
      name: http
      groups: { errors: 100 }
      metrics:
        - name: requests
          groups: [errors]
          query: sum(rate(http_requests_total{scope="\${scope}"}[3s]))
`,
      // Let at least one interval be judged first.
      (() => {
        const start = Date.now();
        return () => Date.now() - start > 6000;
      })(),
      'SIGINT',
    );
    assertStopped(r, 'analysis');
    assert.equal(r.outputs['analysis-outcome'], 'cancelled');
    const report = JSON.parse(readFileSync(r.outputs['analysis-report']!, 'utf8'));
    assert.equal(report.outcome.status, 'cancelled');
    assert.ok(report.outcome.intervals.length >= 1, 'the intervals judged before the signal are in the report');
    assert.match(report.outcome.reason, /cancelled after \d+ of 1800 interval\(s\)/);
  });

  test('rollout paused at 50% (SIGTERM): all traffic returns to stable and the canary scales to 0', async () => {
    const n = ns();
    stableAndCanary(env, n, { stable: 4, canary: 0, service: true });
    const r = await cancelWhen(
      `name: c
stages:
  - id: rollout
    type: rollout
    stable: { kind: Deployment, name: web-stable, namespace: ${n} }
    canary: { kind: Deployment, name: web-canary, namespace: ${n} }
    router: { type: replicas, service: web }
    steps:
      - setWeight: 50
      - pause: 1h
`,
      () => {
        const c = getJson(env, n, 'deployment/web-canary');
        return c.status?.readyReplicas === 2;
      },
      'SIGTERM',
      { env: { KUBECONFIG: env.KUBECONFIG } },
    );
    assertStopped(r, 'rollout');
    assert.equal(r.outputs['rollout-phase'], 'aborted');
    assert.equal(getJson(env, n, 'deployment/web-stable').spec.replicas, 4);
    assert.equal(getJson(env, n, 'deployment/web-canary').spec.replicas, 0);
    const state = JSON.parse(getJson(env, n, 'deployment/web-canary').metadata.annotations['rollgate.dev/rollout']);
    assert.equal(state.status, 'aborted');
  });

  test('run-workflow waiting for a run that never ends (SIGTERM): stops, and the run it started is cancelled on GitHub', async () => {
    const gh: GitHubFake = await startGitHubFake();
    closers.push(() => gh.close());
    gh.script = () => [{ status: RunState.Queued }, { status: RunState.InProgress }];
    const r = await cancelWhen(
      `name: c
stages:
  - { id: smoke, type: run-workflow, workflow: smoke.yml, ref: main, inputs: { version: "1.4.2" }, pollInterval: 1s }
`,
      () => gh.calls('GET /repos/{owner}/{repo}/actions/runs/{run_id}').length >= 1,
      'SIGTERM',
      { env: { ...gh.env(), GITHUB_RUN_ID: '1' }, inputs: { 'github-token': gh.token } },
    );
    const st = assertStopped(r, 'smoke');
    assert.equal(gh.runs[0]!.cancelled, true, 'the started run was cancelled');
    assert.equal((st.outputs as Record<string, unknown>).runId, gh.runs[0]!.id);
    assert.match(String(st.reason), /stopped waiting for smoke.yml; asked GitHub to cancel run \d+/);
    assert.deepEqual(gh.violations, []);
  });

  test('jenkins waiting for a build that never ends (SIGINT): stops, and the build is stopped in Jenkins', async () => {
    const jk: JenkinsFake = await startJenkinsFake({ jobs: [{ path: 'deploy', script: { runningPolls: Infinity } }] });
    closers.push(() => jk.close());
    const r = await cancelWhen(
      `name: c
stages:
  - id: build
    type: jenkins
    url: ${jk.url}
    job: deploy
    user: { fromEnv: JENKINS_USER }
    token: { fromEnv: JENKINS_TOKEN }
    pollInterval: 1s
`,
      () => jk.builds.length === 1 && jk.builds[0]!.polls >= 1,
      'SIGINT',
      { env: jk.env() },
    );
    assertStopped(r, 'build');
    assert.equal(jk.builds[0]!.stopped, true, 'the build was stopped');
    assert.deepEqual(jk.violations, []);
    assert.equal(r.outputs['build-buildUrl'], `${jk.url}/job/deploy/1/`);
    // The runner consumes ::add-mask:: commands; everything else is what a log shows.
    const shown = (r.stdout + r.stderr).split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    assert.ok(!shown.includes(jk.token), 'the Jenkins token never shows');
  });
});
