// Smoke tests of the local environment: the real control plane, Prometheus and the
// sample services behave as the Kubernetes and canary tests need.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEnv, kubectl, makeNamespace, promQuery, eventually } from '../helpers/testenv.ts';
import { ROOT } from '../helpers/runner.ts';
import { versions } from '../../scripts/tools.mjs';

const env = testEnv();
const namespaces: string[] = [];
after(() => {
  for (const ns of namespaces) kubectl(env, ['delete', 'namespace', ns, '--wait=false']);
});

describe('Kubernetes control plane (kwok nodes)', () => {
  test('the API server reports the stamped version', () => {
    const r = kubectl(env, ['version', '-o', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).serverVersion.gitVersion, versions.KUBE_VERSION);
  });

  test('at least two untainted Ready nodes', () => {
    const nodes = JSON.parse(kubectl(env, ['get', 'nodes', '-o', 'json']).stdout).items;
    const ready = nodes.filter(
      (n: { spec: { taints?: unknown[] }; status: { conditions: { type: string; status: string }[] } }) =>
        !n.spec.taints?.length && n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    assert.ok(ready.length >= 2, `${ready.length} untainted Ready nodes`);
  });

  test('a Deployment reaches its ready replicas, and rollout undo restores the previous image', () => {
    const ns = makeNamespace(env, 'smoke');
    namespaces.push(ns);
    assert.equal(kubectl(env, ['-n', ns, 'create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3']).status, 0);
    const status = kubectl(env, ['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal(JSON.parse(kubectl(env, ['-n', ns, 'get', 'deployment', 'web', '-o', 'json']).stdout).status.readyReplicas, 3);
    assert.equal(kubectl(env, ['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.28']).status, 0);
    assert.equal(kubectl(env, ['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s']).status, 0);
    assert.equal(kubectl(env, ['-n', ns, 'rollout', 'undo', 'deployment/web']).status, 0);
    assert.equal(kubectl(env, ['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s']).status, 0);
    const image = kubectl(env, ['-n', ns, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']).stdout;
    assert.equal(image, 'nginx:1.27');
    const history = kubectl(env, ['-n', ns, 'rollout', 'history', 'deployment/web']).stdout;
    assert.match(history, /\n2\s/);
    assert.match(history, /\n3\s/);
  });

  test('StatefulSets and DaemonSets get Ready pods; a Job completes', () => {
    const ns = makeNamespace(env, 'smoke');
    namespaces.push(ns);
    const manifests = `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: ${ns} }
spec:
  serviceName: db
  replicas: 2
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: postgres:16 }] }
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: ${ns} }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec: { containers: [{ name: agent, image: busybox }] }
---
apiVersion: batch/v1
kind: Job
metadata: { name: once, namespace: ${ns} }
spec:
  template:
    spec: { restartPolicy: Never, containers: [{ name: once, image: busybox }] }
`;
    assert.equal(kubectl(env, ['apply', '-f', '-'], manifests).status, 0);
    for (const w of ['statefulset/db', 'daemonset/agent']) {
      const r = kubectl(env, ['-n', ns, 'rollout', 'status', w, '--timeout=60s']);
      assert.equal(r.status, 0, `${w}: ${r.stderr}`);
    }
    const job = kubectl(env, ['-n', ns, 'wait', '--for=condition=complete', 'job/once', '--timeout=60s']);
    assert.equal(job.status, 0, job.stderr);
  });
});

describe('tools', () => {
  test('helm reports its stamped version and renders with a current default Kubernetes version', () => {
    const version = spawnSync(env.ROLLGATE_HELM, ['version', '--short'], { encoding: 'utf8' });
    assert.match(version.stdout, new RegExp(`^${versions.HELM_VERSION.replaceAll('.', '\\.')}`));
    const chart = mkdtempSync(path.join(os.tmpdir(), 'chart-'));
    spawnSync('mkdir', ['-p', path.join(chart, 'templates')]);
    spawnSync('sh', ['-c', `printf 'apiVersion: v2\\nname: c\\nversion: 0.1.0\\n' > ${chart}/Chart.yaml; printf 'kube: {{ .Capabilities.KubeVersion.Minor }}\\n' > ${chart}/templates/x.yaml`]);
    const out = spawnSync(env.ROLLGATE_HELM, ['template', 'x', chart], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.ok(Number(/kube: "?(\d+)/.exec(out.stdout)?.[1]) >= 30, out.stdout);
  });
});

describe('Prometheus and the sample services', () => {
  test('Prometheus has samples for both sample services, labelled by scope', async () => {
    const series = await eventually('request rates for baseline and canary', async () => {
      const r = await promQuery(env, 'sum by (scope, version) (rate(http_requests_total{job="sample"}[10s]))');
      return r.length >= 2 ? r : undefined;
    });
    const byScope = Object.fromEntries(series.map((s) => [s.metric.scope, Number(s.value[1])]));
    assert.ok(byScope.baseline! > 5, `baseline rate ${byScope.baseline}`);
    assert.ok(byScope.canary! > 5, `canary rate ${byScope.canary}`);
  });

  test('a sample service\'s error rate changes when told to, and Prometheus sees it', async () => {
    const set = (errorRate: number) =>
      fetch(`${env.ROLLGATE_SAMPLE_CANARY_URL}/admin`, { method: 'POST', body: JSON.stringify({ errorRate }) }).then((r) => r.json());
    try {
      assert.deepEqual(await set(0.5), { errorRate: 0.5, latencyMs: 20, jitterMs: 5 });
      await eventually(
        'a canary error ratio near 0.5',
        async () => {
          const r = await promQuery(env, 'sum(rate(http_requests_total{scope="canary",status="500"}[3s])) / sum(rate(http_requests_total{scope="canary"}[3s]))');
          const v = Number(r[0]?.value[1]);
          return v > 0.4 && v < 0.6;
        },
        30_000,
      );
    } finally {
      await set(0);
    }
  });
});

describe('env:up / env:down', () => {
  test('a second up reuses what runs; down stops exactly what up started', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-env-'));
    const run = (cmd: string) =>
      spawnSync(process.execPath, [path.join(ROOT, 'scripts/testenv/env.mjs'), cmd], {
        env: { ...process.env, ROLLGATE_ENV_DIR: dir, ROLLGATE_SKIP_BUILD: '1' },
        encoding: 'utf8',
      });
    const pidsOf = () => {
      const state = JSON.parse(spawnSync('cat', [path.join(dir, 'state.json')], { encoding: 'utf8' }).stdout);
      return [
        ...Object.entries(state.processes)
          .filter(([k]) => k !== 'cluster')
          .map(([, p]) => (p as { pid: number }).pid),
        ...Object.values((state.processes.cluster as { pids: Record<string, number> }).pids),
      ].sort();
    };
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const first = run('up');
      assert.equal(first.status, 0, first.stdout + first.stderr);
      const pids = pidsOf();
      assert.equal(pids.length, 9, `pids: ${pids}`); // etcd, apiserver, controller-manager, scheduler, kwok; 2 samples, Prometheus, load
      assert.ok(pids.every(alive));
      const second = run('up');
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /cluster rollgate-\w+ is running \(reused\)/);
      assert.deepEqual(pidsOf(), pids, 'the second up started nothing new');
      const down = run('down');
      assert.equal(down.status, 0, down.stderr);
      assert.deepEqual(pids.filter(alive), [], 'every process of that environment stopped');
      // The main environment is untouched.
      assert.equal(kubectl(env, ['get', '--raw', '/readyz']).stdout, 'ok');
    } finally {
      run('reset');
    }
  });
});
