// Load balancers, dynamic targets, patch/scale/undo/delete and failures, on the real control plane.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml } from '../helpers/engine.ts';
import { testEnv, kubectl, eventually, getJson, scratchNamespaces } from '../helpers/testenv.ts';

const env = testEnv();
const ns = scratchNamespaces(env, 'rg');
const get = (namespace: string, what: string) => getJson(env, namespace, what);
const run = (yaml: string, opts: Parameters<typeof runYaml>[1] = {}) => runYaml(yaml, { kubeconfig: env.KUBECONFIG, ...opts });
const ok = (r: Awaited<ReturnType<typeof run>>) => {
  const failed = r.report.stages.filter((s) => s.status !== 'succeeded');
  assert.equal(r.report.result, 'succeeded', failed.map((f) => `${f.id}: ${f.error ?? f.reason}`).join('\n'));
  return r;
};
const endpointPods = (n: string, svc: string): string[] =>
  (JSON.parse(kubectl(env, ['-n', n, 'get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json']).stdout).items ?? []).flatMap((s: { endpoints?: { targetRef?: { name: string } }[] }) =>
    (s.endpoints ?? []).map((e) => e.targetRef!.name),
  );

function service(n: string) {
  const r = kubectl(
    env,
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${n} }
spec:
  selector: { lb-web: "true" }
  ports: [{ port: 80, targetPort: 8080 }]
`,
  );
  assert.equal(r.status, 0, r.stderr);
}

const rsVersion = (n: string, image: string) => `
name: p
application: shop
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    manifests:
      - apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web
          annotations:
            traffic.spinnaker.io/load-balancers: '["service web"]'
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [{ name: web, image: "${image}" }] }
`;

describe('load balancers', () => {
  test('deploy attaches new pods; disable takes them out of the endpoints; enable puts them back', async () => {
    const n = ns();
    service(n);
    ok(await run(rsVersion(n, 'nginx:1')));
    const pods = (get(n, 'pods').items as { metadata: { name: string; labels: Record<string, string> } }[]).map((p) => p.metadata);
    assert.equal(pods.length, 2);
    assert.ok(pods.every((p) => p.labels['lb-web'] === 'true'));
    await eventually('endpoints for both pods', () => endpointPods(n, 'web').length === 2);

    const disabled = ok(await run(`
name: p
application: shop
stages:
  - { id: off, type: disable, target: { kind: replicaSet, name: web, namespace: ${n}, strategy: newest } }
`));
    assert.equal(disabled.report.stages[0]!.outputs.name, 'web-v000');
    assert.deepEqual(endpointPods(n, 'web'), []);
    assert.ok(!('lb-web' in get(n, 'replicaset/web-v000').spec.template.metadata.labels));
    assert.equal((get(n, 'pods').items as unknown[]).length, 2, 'disable keeps the pods running');

    ok(await run(`
name: p
application: shop
stages:
  - { id: on, type: enable, target: { kind: ReplicaSet, name: web-v000, namespace: ${n} } }
`));
    assert.equal(endpointPods(n, 'web').length, 2);
  });

  test('a Service selector sharing a key with the pod labels is refused before anything is applied', async () => {
    const n = ns();
    kubectl(env, ['-n', n, 'create', 'service', 'clusterip', 'web', '--tcp=80:8080']); // selector app=web
    const r = await run(rsVersion(n, 'nginx:1'));
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.match(r.report.stages[0]!.error!, /Service .*\/web selects on "app", which ReplicaSet web-v000 already sets as its own pod label/);
    assert.deepEqual(get(n, 'replicasets').items, []);
  });

  test('blue/green (seed 003): deploy a new version, disable the second newest; the Service switches', async () => {
    const n = ns();
    service(n);
    const pipeline = (image: string) => `
name: bluegreen
application: shop
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    manifests:
      - apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web
          annotations:
            traffic.spinnaker.io/load-balancers: '["service web"]'
            strategy.spinnaker.io/max-version-history: "2"
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [{ name: web, image: "${image}" }] }
  - id: disable-old
    type: disable
    dependsOn: [deploy]
    target: { kind: replicaSet, name: web, namespace: ${n}, strategy: second-newest }
`;
    ok(await run(pipeline('web:1').replace(/\n {2}- id: disable-old[\s\S]*$/, '\n')));
    const r = ok(await run(pipeline('web:2')));
    assert.equal(r.report.stages[1]!.outputs.name, 'web-v000');
    const serving = endpointPods(n, 'web');
    assert.equal(serving.length, 2);
    assert.ok(serving.every((p) => p.startsWith('web-v001-')), `endpoints: ${serving}`);
  });
});

describe('dynamic targets', () => {
  test('newest, second-newest, oldest, largest and smallest pick the right member of the cluster', async () => {
    const n = ns();
    const make = (name: string, replicas: number) =>
      kubectl(
        env,
        ['apply', '-f', '-'],
        `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  namespace: ${n}
  annotations: { moniker.spinnaker.io/cluster: replicaSet api, moniker.spinnaker.io/application: shop }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { v: ${name} } }
  template:
    metadata: { labels: { v: ${name} } }
    spec: { containers: [{ name: a, image: a }] }
`,
      );
    // Known ages (creation order, a second apart) and sizes.
    for (const [name, replicas] of [['api-v000', 2], ['api-v001', 5], ['api-v002', 1]] as const) {
      make(name, replicas);
      await new Promise((r) => setTimeout(r, 1100));
    }
    kubectl(env, ['-n', n, 'create', 'configmap', 'noise']);
    const picks: Record<string, string> = {};
    for (const strategy of ['newest', 'second-newest', 'oldest', 'largest', 'smallest']) {
      const r = ok(await run(`
name: p
application: shop
stages:
  - { id: t, type: patch, target: { kind: ReplicaSet, cluster: replicaSet api, namespace: ${n}, strategy: ${strategy} }, patch: { metadata: { labels: { picked: "yes" } } }, wait: false }
`));
      picks[strategy] = r.report.stages[0]!.outputs.name as string;
    }
    assert.deepEqual(picks, { newest: 'api-v002', 'second-newest': 'api-v001', oldest: 'api-v000', largest: 'api-v001', smallest: 'api-v002' });
    const none = await run(`
name: p
application: other-app
stages:
  - { id: t, type: scale, target: { kind: ReplicaSet, cluster: replicaSet api, namespace: ${n}, strategy: newest }, replicas: 0 }
`);
    assert.match(none.report.stages[0]!.error!, /no manifest matches newest in cluster "replicaSet api" of application "other-app"/);
  });
});

describe('patch, scale, rollout-undo, delete', () => {
  const deployment = (n: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: ${n} }
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, image: "${image}" }] }
`;

  test('patch in strategic, merge and json modes', async () => {
    const n = ns();
    kubectl(env, ['apply', '-f', '-'], deployment(n, 'api:1'));
    ok(await run(`
name: p
stages:
  - id: strategic
    type: patch
    target: { kind: Deployment, name: api, namespace: ${n} }
    patch: { spec: { template: { spec: { containers: [{ name: api, image: "api:2" }] } } } }
  - id: merge
    type: patch
    dependsOn: [strategic]
    target: { kind: deployment, name: api, namespace: ${n} }
    patchType: merge
    patch: { metadata: { annotations: { team: web } } }
  - id: json
    type: patch
    dependsOn: [merge]
    target: { kind: Deployment, name: api, namespace: ${n} }
    patchType: json
    patch: [{ op: replace, path: /spec/replicas, value: 3 }]
`));
    const d = get(n, 'deployment/api');
    assert.equal(d.spec.template.spec.containers[0].image, 'api:2');
    assert.equal(d.metadata.annotations.team, 'web');
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.status.readyReplicas, 3);
  });

  test('scale waits until the new size is ready; rollout-undo restores the previous image', async () => {
    const n = ns();
    kubectl(env, ['apply', '-f', '-'], deployment(n, 'api:1'));
    kubectl(env, ['-n', n, 'rollout', 'status', 'deployment/api', '--timeout=60s']);
    kubectl(env, ['apply', '-f', '-'], deployment(n, 'api:2'));
    kubectl(env, ['-n', n, 'rollout', 'status', 'deployment/api', '--timeout=60s']);
    const r = ok(await run(`
name: p
stages:
  - { id: scale, type: scale, target: { kind: Deployment, name: api, namespace: ${n} }, replicas: 4 }
  - { id: undo, type: rollout-undo, dependsOn: [scale], target: { kind: Deployment, name: api, namespace: ${n} } }
`));
    assert.equal(r.report.stages[0]!.outputs.previousReplicas, 2);
    assert.deepEqual([r.report.stages[1]!.outputs.fromRevision, r.report.stages[1]!.outputs.toRevision], [2, 1]);
    const d = get(n, 'deployment/api');
    assert.equal(d.spec.template.spec.containers[0].image, 'api:1');
    assert.equal(d.status.readyReplicas, 4);
    const tooFar = await run(`
name: p
stages:
  - { id: undo, type: rollout-undo, target: { kind: Deployment, name: api, namespace: ${n} }, revisionsBack: 5 }
`);
    assert.match(tooFar.report.stages[0]!.error!, /there are 2 revision\(s\) of Deployment .*\/api, cannot roll back 5/);
  });

  test('delete by name (absent is fine) and by kinds + label selector', async () => {
    const n = ns();
    kubectl(env, ['-n', n, 'create', 'configmap', 'a']);
    kubectl(env, ['-n', n, 'create', 'configmap', 'b']);
    kubectl(env, ['-n', n, 'label', 'configmap', 'b', 'tier=canary']);
    kubectl(env, ['-n', n, 'create', 'secret', 'generic', 's', '--from-literal=k=v']);
    kubectl(env, ['-n', n, 'label', 'secret', 's', 'tier=canary']);
    const r = ok(await run(`
name: p
stages:
  - { id: one, type: delete, target: { kind: ConfigMap, name: a, namespace: ${n} } }
  - { id: gone, type: delete, target: { kind: ConfigMap, name: never-was, namespace: ${n} } }
  - { id: many, type: delete, kinds: [ConfigMap, Secret], labelSelector: tier=canary, namespace: ${n} }
`));
    assert.deepEqual(r.report.stages.map((s) => s.outputs.count), [1, 0, 2]);
    const left = (get(n, 'configmaps').items as { metadata: { name: string } }[]).map((c) => c.metadata.name);
    assert.deepEqual(left, ['kube-root-ca.crt']);
  });
});

describe('failures are reported plainly', () => {
  test('a Deployment that cannot become ready fails with ProgressDeadlineExceeded', async () => {
    const n = ns();
    const r = await run(`
name: p
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    manifests:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: stuck }
        spec:
          progressDeadlineSeconds: 3
          replicas: 1
          selector: { matchLabels: { app: stuck } }
          template:
            metadata: { labels: { app: stuck } }
            spec:
              nodeSelector: { no-such-node: "true" }
              containers: [{ name: c, image: c }]
`);
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.match(r.report.stages[0]!.error!, /Deployment .*\/stuck failed: ProgressDeadlineExceeded/);
  });

  test('an invalid manifest is rejected by the API server, named with its source', async () => {
    const n = ns();
    const r = await run(`
name: p
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    manifests:
      - apiVersion: v1
        kind: ConfigMap
        metadata: { name: fine }
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: Bad_Name }
        spec: { replicas: -1, selector: { matchLabels: { a: b } }, template: { metadata: { labels: { a: b } }, spec: { containers: [] } } }
`);
    const err = r.report.stages[0]!.error!;
    assert.match(err, /apply Deployment .*\/Bad_Name: 422 Invalid: /);
    assert.match(err, /Applied: ConfigMap .*\/fine-v000\. Not applied: Deployment .*\/Bad_Name/);
    assert.doesNotMatch(err, /\{"kind":"Status"/, 'no raw JSON');
  });

  test('a missing namespace and a missing kind are named', async () => {
    const r = await run(`
name: p
stages:
  - { id: a, type: deploy, onFailure: continue, namespace: does-not-exist-ns, manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: x } }] }
  - { id: b, type: deploy, onFailure: continue, manifests: [{ apiVersion: example.com/v1, kind: Widget, metadata: { name: x } }] }
`);
    assert.match(r.report.stages[0]!.error!, /404 NotFound: namespaces "does-not-exist-ns" not found/);
    assert.match(r.report.stages[1]!.error!, /the API server has no kind Widget in example.com\/v1 \(is its CustomResourceDefinition installed\?\)/);
  });

  test('no permission: a forbidden verb is reported with the user and the resource', async () => {
    const n = ns();
    const setup = `apiVersion: v1
kind: ServiceAccount
metadata: { name: reader, namespace: ${n} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: ${n} }
rules: [{ apiGroups: [""], resources: [configmaps], verbs: [get, list] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader, namespace: ${n} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }
subjects: [{ kind: ServiceAccount, name: reader, namespace: ${n} }]
`;
    assert.equal(kubectl(env, ['apply', '-f', '-'], setup).status, 0);
    const token = kubectl(env, ['-n', n, 'create', 'token', 'reader']).stdout.trim();
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const admin = JSON.parse(kubectl(env, ['config', 'view', '--raw', '-o', 'json']).stdout);
    const cluster = admin.clusters[0].cluster;
    const file = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster }],
        users: [{ name: 'reader', user: { token } }],
        contexts: [{ name: 'reader', context: { cluster: 'c', user: 'reader', namespace: n } }],
        'current-context': 'reader',
      }),
    );
    const r = await runYaml(
      `
name: p
stages:
  - { id: a, type: deploy, manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: x } }] }
`,
      { kubeconfig: file },
    );
    assert.match(r.report.stages[0]!.error!, /403 Forbidden: configmaps "x-v000" is forbidden: User "system:serviceaccount:.*:reader" cannot patch resource "configmaps"/);
  });
});

describe('dry run', () => {
  test('deploy, scale and delete change nothing and say what they would do', async () => {
    const n = ns();
    kubectl(env, ['-n', n, 'create', 'configmap', 'keep']);
    const r = ok(
      await run(
        `
name: p
stages:
  - { id: d, type: deploy, namespace: ${n}, manifests: [{ apiVersion: v1, kind: Service, metadata: { name: s }, spec: { ports: [{ port: 80 }] } }] }
  - { id: x, type: delete, target: { kind: ConfigMap, name: keep, namespace: ${n} } }
`,
        { dryRun: true },
      ),
    );
    assert.ok(r.lines.some((l) => /dry run: Service .*\/s would be created/.test(l)), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => /dry run: would delete ConfigMap .*\/keep/.test(l)));
    assert.equal(kubectl(env, ['-n', n, 'get', 'service', 's']).status, 1);
    assert.equal(kubectl(env, ['-n', n, 'get', 'configmap', 'keep']).status, 0);
  });
});
