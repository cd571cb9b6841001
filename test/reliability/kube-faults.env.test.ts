// Faults of the Kubernetes API server, with real processes: a kube-apiserver of the test's
// own (test/helpers/apiserver.ts, in front of the environment's etcd and controllers) is
// killed and restarted while deploy waits and while it applies. And another writer that
// changes the same objects while patch and disable run, on the shared API server.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml } from '../helpers/engine.ts';
import { testEnv, kubectl, eventually, scratchNamespaces, getJson } from '../helpers/testenv.ts';
import { OwnApiServer } from '../helpers/apiserver.ts';
import { createKubeClient, KubeError } from '../../src/kube/client.ts';
import { execFile, spawn } from 'node:child_process';

const env = testEnv();
const ns = scratchNamespaces(env, 'kfault');
const api = new OwnApiServer(env);
after(() => api.kill());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kube-apiserver faults', () => {
  test('restarted while deploy waits until stable: the wait resumes and completes', async (t) => {
    await api.start();
    const n = ns();
    // Pods of this Deployment can only run on a node with this label, which no node has yet:
    // the rollout stays incomplete until the test labels a node, while the server is down.
    const label = `rollgate.dev/fault-${process.pid}`;
    const running = runYaml(
      `name: f
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    waitTimeout: 3m
    manifests:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web }
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { nodeSelector: { ${label}: "yes" }, containers: [{ name: web, image: web:1 }] }
`,
      { kubeconfig: api.kubeconfig },
    );
    let settled = false;
    void running.finally(() => (settled = true));
    await eventually('the deployment is applied', () => kubectl(env, ['-n', n, 'get', 'deployment/web']).status === 0, 60_000);
    await sleep(1000);
    await api.kill();
    const node = (JSON.parse(kubectl(env, ['get', 'nodes', '-o', 'json']).stdout).items as { metadata: { name: string } }[])[0]!.metadata.name;
    t.after(() => kubectl(env, ['label', 'node', node, `${label}-`]));
    assert.equal(kubectl(env, ['label', 'node', node, `${label}=yes`]).status, 0);
    await eventually('the pods are ready (seen through the shared server)', () => getJson(env, n, 'deployment/web').status?.readyReplicas === 2, 60_000);
    await sleep(2000);
    // The pods could not be ready before the label, which came after the kill: the stage
    // is still waiting, across the outage.
    assert.equal(settled, false, 'the stage is still waiting while its API server is down');
    await api.start();
    const r = await running;
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.deepEqual((st.outputs.resources as { name: string }[]).map((x) => x.name), ['web']);
  });

  test('stopped during apply: the stage fails naming what was and was not applied; run again, it converges', async (t) => {
    await api.start();
    const n = ns();
    const count = 600;
    const manifests = Array.from(
      { length: count },
      (_, i) => `      - { apiVersion: v1, kind: ConfigMap, metadata: { name: cm-${String(i).padStart(3, '0')}, annotations: { strategy.spinnaker.io/versioned: "false" } }, data: { i: "${i}" } }`,
    ).join('\n');
    const pipeline = `name: f
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    manifests:
${manifests}
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web }
        spec:
          replicas: 1
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [{ name: web, image: web:1 }] }
`;
    // Kill the server as soon as the first ConfigMaps exist, as a watch through the shared
    // server sees them arrive.
    const watch = spawn(env.ROLLGATE_KUBECTL, ['--kubeconfig', env.KUBECONFIG, '-n', n, 'get', 'configmaps', '--watch', '-o', 'name'], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.after(() => watch.kill());
    let seen = 0;
    let listening!: () => void;
    let enough!: () => void;
    const watching = new Promise<void>((r) => (listening = r));
    const twenty = new Promise<void>((r) => (enough = r));
    watch.stdout.on('data', (d: Buffer) => {
      listening();
      seen += d.toString().split('\n').filter((l) => l.startsWith('configmap/cm-')).length;
      if (seen >= 20) enough();
    });
    await watching; // kube-root-ca.crt, listed first
    const running = runYaml(pipeline, { kubeconfig: api.kubeconfig });
    await twenty;
    await api.kill();
    watch.kill();
    const r = await running;
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.match(st.error!, /cannot reach the API server at https:\/\/127\.0\.0\.1:\d+/);
    assert.match(st.error!, /Not applied: [^.]*Deployment [^/]+\/web/, 'the Deployment (applied after every ConfigMap) is named as not applied');
    const applied = /Applied: (.*?)\. Not applied:/.exec(st.error!)?.[1] ?? '';
    const inCluster = (getJson(env, n, 'configmaps').items as { metadata: { name: string } }[]).map((c) => c.metadata.name).filter((x) => x.startsWith('cm-'));
    for (const name of applied.split(', ').filter((x) => x.startsWith('ConfigMap')).map((x) => x.split('/')[1]!)) {
      assert.ok(inCluster.includes(name), `${name}, reported as applied, is in the cluster`);
    }
    assert.match(st.error!, /Running the stage again converges/);
    assert.notEqual(kubectl(env, ['-n', n, 'get', 'deployment/web']).status, 0, 'nothing of the next rank was applied');

    await api.start();
    const again = await runYaml(pipeline, { kubeconfig: api.kubeconfig });
    assert.equal(again.report.stages[0]!.status, 'succeeded', again.report.stages[0]!.error);
    assert.equal((getJson(env, n, 'configmaps').items as { metadata: { name: string } }[]).filter((c) => c.metadata.name.startsWith('cm-')).length, count);
    assert.equal(getJson(env, n, 'deployment/web').status.readyReplicas, 1);
  });
});

/** kubectl without blocking this process, which runs the stages at the same time. */
function kubectlAsync(args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(env.ROLLGATE_KUBECTL, ['--kubeconfig', env.KUBECONFIG, ...args], (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('another writer on the same objects', () => {
  /**
   * Writes the object again and again with read-modify-write updates (PUT with the
   * resourceVersion it read), as a controller or kubectl edit would, counting the 409s the
   * server gives it because somebody else (the stage) wrote in between.
   */
  function writer(n: string, what: string) {
    let stop = false;
    let writes = 0;
    let conflicts = 0;
    const done = (async () => {
      while (!stop) {
        const obj = JSON.parse((await kubectlAsync(['-n', n, 'get', what, '-o', 'json'])).stdout);
        obj.metadata.annotations = { ...obj.metadata.annotations, 'other-writer/count': String(writes + 1) };
        const r = await kubectlAsync(['replace', '-f', '-'], JSON.stringify(obj));
        if (r.status === 0) writes++;
        else if (/Conflict|the object has been modified/.test(r.stderr)) conflicts++;
        else throw new Error(r.stderr);
      }
    })();
    return {
      async finish() {
        stop = true;
        await done;
        return { writes, conflicts };
      },
    };
  }

  test('patch and disable while another writer updates the same ReplicaSet: both writers\' changes survive', async (t) => {
    const n = ns();
    const r0 = await runYaml(
      `name: f
stages:
  - id: service
    type: deploy
    namespace: ${n}
    manifests:
      - { apiVersion: v1, kind: Service, metadata: { name: web }, spec: { selector: { lb-web: "true" }, ports: [{ port: 80 }] } }
  - id: deploy
    type: deploy
    dependsOn: [service]
    namespace: ${n}
    manifests:
      - apiVersion: apps/v1
        kind: ReplicaSet
        metadata: { name: web, annotations: { traffic.spinnaker.io/load-balancers: '["service web"]' } }
        spec:
          replicas: 3
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [{ name: web, image: web:1 }] }
`,
      { kubeconfig: env.KUBECONFIG },
    );
    assert.equal(r0.report.result, 'succeeded', JSON.stringify(r0.report.stages.map((s) => s.error)));
    const other = writer(n, 'replicaset/web-v000');
    await sleep(300);
    const r = await runYaml(
      `name: f
stages:
  - id: patch
    type: patch
    target: { kind: replicaSet, name: web-v000, namespace: ${n} }
    patch: { metadata: { labels: { patched: "yes" } }, spec: { template: { metadata: { annotations: { note: "patched" } } } } }
  - id: disable
    type: disable
    dependsOn: [patch]
    target: { kind: replicaSet, name: web-v000, namespace: ${n} }
`,
      { kubeconfig: env.KUBECONFIG },
    );
    const { writes, conflicts } = await other.finish();
    assert.equal(r.report.result, 'succeeded', JSON.stringify(r.report.stages.map((s) => s.error)));
    const rs = getJson(env, n, 'replicaset/web-v000');
    assert.equal(rs.metadata.labels.patched, 'yes', 'the patch is there');
    assert.equal(rs.spec.template.metadata.annotations.note, 'patched');
    assert.ok(!('lb-web' in rs.spec.template.metadata.labels), 'disabled: the pod template left the load balancer');
    const pods = (getJson(env, n, 'pods').items as { metadata: { labels: Record<string, string> } }[]).filter((p) => p.metadata.labels.app === 'web');
    assert.ok(pods.length === 3 && pods.every((p) => !('lb-web' in p.metadata.labels)), 'disabled: every pod left the load balancer');
    assert.equal(rs.metadata.annotations['other-writer/count'], String(writes), 'the other writer\'s last write is there too');
    assert.ok(writes > 0, 'the other writer wrote during the stages');
    // The stages write patches, which the server applies to the newest version: they never
    // get a 409 of their own; it is the read-modify-write writer that has to retry.
    t.diagnostic(`other writer: ${writes} writes, ${conflicts} conflicts`);
  });

  test('a patch locked to a resourceVersion that another writer has moved on is refused with a 409 at once, not retried', async () => {
    const n = ns();
    assert.equal(kubectl(env, ['-n', n, 'create', 'configmap', 'lock', '--from-literal=a=1']).status, 0);
    const kube = await createKubeClient({ kubeconfigPath: env.KUBECONFIG });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'lock', namespace: n };
    const read = (await kube.tryGet(ref))!;
    assert.equal(kubectl(env, ['-n', n, 'annotate', 'configmap', 'lock', 'other=wrote']).status, 0);
    const started = performance.now();
    const stale = kube.patch(ref, { metadata: { annotations: { mine: 'yes' } } }, 'merge', { resourceVersion: read.metadata.resourceVersion });
    await assert.rejects(stale, (e: unknown) => {
      assert.ok(e instanceof KubeError);
      assert.equal(e.code, 409);
      assert.match(e.message, /patch ConfigMap [^/]+\/lock: 409 Conflict/);
      return true;
    });
    // Eight attempts with their back-off would take about 18 s; one answer takes milliseconds.
    assert.ok(performance.now() - started < 10_000, 'refused without the retries a 409 from contention gets');
    const after = (await kube.tryGet(ref))!;
    assert.equal(after.metadata.annotations?.mine, undefined, 'the stale patch changed nothing');
    assert.equal(after.metadata.annotations?.other, 'wrote');
    await kube.patch(ref, { metadata: { annotations: { mine: 'yes' } } }, 'merge', { resourceVersion: after.metadata.resourceVersion });
    assert.equal((await kube.tryGet(ref))!.metadata.annotations?.mine, 'yes', 'locked to the current version, it applies');
  });
});
