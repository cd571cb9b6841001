// Kubernetes stages against the real control plane of the local environment.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml } from '../helpers/engine.ts';
import { testEnv, getJson, scratchNamespaces } from '../helpers/testenv.ts';

const env = testEnv();
const ns = scratchNamespaces(env, 'rg');
const get = (namespace: string, what: string) => getJson(env, namespace, what);
const names = (namespace: string, kind: string) =>
  (get(namespace, kind).items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();
const run = (yaml: string, opts: Parameters<typeof runYaml>[1] = {}) => runYaml(yaml, { kubeconfig: env.KUBECONFIG, ...opts });

const replicaSet = (namespace: string, image: string, extra = '') => `
      - apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web
          namespace: ${namespace}
          annotations:
            strategy.spinnaker.io/max-version-history: "2"${extra}
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [{ name: web, image: ${image} }] }`;

const deployStage = (namespace: string, image: string, extra = '') => `
name: p
application: shop
stages:
  - id: deploy
    type: deploy
    manifests:${replicaSet(namespace, image, extra)}
`;

describe('deploy: versions', () => {
  test('v000, reuse when unchanged, v001 when changed, and max-version-history prunes after stable', async () => {
    const n = ns();
    const first = await run(deployStage(n, 'nginx:1'));
    assert.equal(first.report.result, 'succeeded', first.report.stages[0]!.error);
    assert.equal(first.report.stages[0]!.outputs.replicaSet, 'web-v000');
    assert.deepEqual(names(n, 'replicasets'), ['web-v000']);
    const rs = get(n, 'replicaset/web-v000');
    assert.equal(rs.metadata.annotations['moniker.spinnaker.io/cluster'], 'replicaSet web');
    assert.equal(rs.metadata.annotations['moniker.spinnaker.io/application'], 'shop');
    assert.equal(rs.metadata.annotations['artifact.spinnaker.io/version'], 'v000');
    assert.equal(rs.metadata.labels['app.kubernetes.io/managed-by'], 'rollgate');
    assert.equal(rs.spec.template.metadata.labels['moniker.spinnaker.io/sequence'], '0');
    assert.equal(rs.status.readyReplicas, 2);

    const again = await run(deployStage(n, 'nginx:1'));
    assert.equal(again.report.stages[0]!.outputs.replicaSet, 'web-v000');
    assert.ok(again.lines.some((l) => l.includes('unchanged: reusing it')));

    assert.equal((await run(deployStage(n, 'nginx:2'))).report.stages[0]!.outputs.replicaSet, 'web-v001');
    assert.deepEqual(names(n, 'replicasets'), ['web-v000', 'web-v001']);
    const third = await run(deployStage(n, 'nginx:3'));
    assert.equal(third.report.stages[0]!.outputs.replicaSet, 'web-v002');
    assert.deepEqual(third.report.stages[0]!.outputs.pruned, ['web-v000']);
    assert.deepEqual(names(n, 'replicasets'), ['web-v001', 'web-v002']);
    assert.deepEqual(
      third.report.artifacts.filter((a) => a.type === 'kubernetes/replicaSet').map((a) => [a.name, a.version, a.reference, a.location]),
      [['web', 'v002', 'web-v002', n]],
    );
  });

  test('ConfigMaps are versioned and workloads point at the version deployed with them', async () => {
    const n = ns();
    const yaml = (value: string) => `
name: p
stages:
  - id: deploy
    type: deploy
    namespace: ${n}
    manifests: |
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: settings }
      data: { greeting: ${value} }
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: api }
      spec:
        replicas: 1
        selector: { matchLabels: { app: api } }
        template:
          metadata: { labels: { app: api } }
          spec:
            containers:
              - name: api
                image: api:1
                envFrom: [{ configMapRef: { name: settings } }]
                env: [{ name: G, valueFrom: { configMapKeyRef: { name: settings, key: greeting } } }]
            volumes: [{ name: cfg, configMap: { name: settings } }]
`;
    const r1 = await run(yaml('hello'));
    assert.equal(r1.report.result, 'succeeded', r1.report.stages[0]!.error);
    const d1 = get(n, 'deployment/api');
    assert.equal(d1.spec.template.spec.volumes[0].configMap.name, 'settings-v000');
    assert.equal(d1.spec.template.spec.containers[0].envFrom[0].configMapRef.name, 'settings-v000');
    assert.equal(d1.spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.name, 'settings-v000');
    assert.equal(d1.metadata.name, 'api', 'Deployments are not versioned');
    await run(yaml('bonjour'));
    assert.deepEqual(names(n, 'configmaps').filter((x) => x.startsWith('settings')), ['settings-v000', 'settings-v001']);
    assert.equal(get(n, 'deployment/api').spec.template.spec.volumes[0].configMap.name, 'settings-v001');
  });
});

describe('deploy: image binding', () => {
  const artifacts = [
    { type: 'docker/image', name: 'ghcr.io/acme/web', version: '41', reference: 'ghcr.io/acme/web:41' },
    { type: 'docker/image', name: 'ghcr.io/acme/web', version: '42', reference: 'ghcr.io/acme/web:42' },
    { type: 'docker/image', name: 'ghcr.io/acme/init', version: '7', reference: 'ghcr.io/acme/init:7' },
  ];
  const manifest = (n: string, image: string) => `
name: p
stages:
  - id: deploy
    type: deploy
    requiredArtifacts: [{ type: docker/image, name: ghcr.io/acme/web }]
    manifests:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web, namespace: ${n} }
        spec:
          replicas: 1
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec:
              initContainers: [{ name: init, image: ghcr.io/acme/init:latest }]
              containers: [{ name: web, image: "${image}" }]
`;

  test('binds containers and initContainers to artifacts of the same image name', async () => {
    const n = ns();
    const r = await run(manifest(n, 'ghcr.io/acme/web:dev'), { artifacts });
    assert.equal(r.report.result, 'succeeded', r.report.stages[0]!.error);
    const spec = get(n, 'deployment/web').spec.template.spec;
    assert.equal(spec.containers[0].image, 'ghcr.io/acme/web:42');
    assert.equal(spec.initContainers[0].image, 'ghcr.io/acme/init:7');
  });

  test('_{BUILD_NUMBER} takes the newest build of the image', async () => {
    const n = ns();
    const r = await run(manifest(n, 'ghcr.io/acme/web:_{BUILD_NUMBER}'), { artifacts: [artifacts[1]!, artifacts[0]!, artifacts[2]!] });
    assert.equal(r.report.result, 'succeeded', r.report.stages[0]!.error);
    assert.equal(get(n, 'deployment/web').spec.template.spec.containers[0].image, 'ghcr.io/acme/web:42');
  });

  test('a required artifact that binds nothing fails the stage with nothing applied', async () => {
    const n = ns();
    const r = await run(manifest(n, 'nginx:1'), { artifacts: [{ type: 'docker/image', name: 'ghcr.io/acme/web', version: '1', reference: 'ghcr.io/acme/web:1' }] });
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.match(r.report.stages[0]!.error!, /required artifact docker\/image ghcr.io\/acme\/web binds no container image in the manifests \(images: .*nginx:1.*\); nothing was applied/);
    assert.deepEqual(names(n, 'deployments'), []);
  });
});
