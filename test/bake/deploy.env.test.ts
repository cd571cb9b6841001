// What a bake produces deploys: image-tag → bake → deploy (fromArtifact) on the local cluster.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { testEnv, kubectl, makeNamespace } from '../helpers/testenv.ts';
import { run, workspace } from './helpers.ts';

const env = testEnv();
process.env.ROLLGATE_HELM = env.ROLLGATE_HELM;
process.env.ROLLGATE_KUBECTL = env.ROLLGATE_KUBECTL;
const namespaces: string[] = [];
after(() => {
  for (const ns of namespaces) kubectl(env, ['delete', 'namespace', ns, '--wait=false']);
});
const ns = () => {
  const n = makeNamespace(env, 'rg-bake');
  namespaces.push(n);
  return n;
};
const get = (namespace: string, what: string) => JSON.parse(kubectl(env, ['-n', namespace, 'get', what, '-o', 'json']).stdout);

describe('bake → deploy on the cluster', () => {
  test('the chart baked for a namespace deploys from its artifact; the image placeholder binds the newest build', async () => {
    const n = ns();
    const ws = workspace();
    const saved = process.env.GITHUB_RUN_NUMBER;
    process.env.GITHUB_RUN_NUMBER = '42';
    try {
      const r = await run(
        `
name: release
application: shop
stages:
  - id: tag
    type: image-tag
    image: ghcr.io/acme/web
    format: _{BUILD_NUMBER}
  - id: bake
    type: bake
    chart: charts/web
    namespace: ${n}
    overrides:
      image.tag: _{BUILD_NUMBER}
      replicaCount: 2
  - id: deploy
    type: deploy
    dependsOn: [tag, bake]
    fromArtifact: { type: kubernetes/manifest, name: web }
    requiredArtifacts: [{ type: docker/image, name: ghcr.io/acme/web }]
`,
        ws,
        {
          kubeconfig: env.KUBECONFIG,
          // Build 41 came from an earlier job; this run's build 42 is the newer one.
          artifacts: [{ type: 'docker/image', name: 'ghcr.io/acme/web', version: '41', reference: 'ghcr.io/acme/web:_41' }],
        },
      );
      const byId = Object.fromEntries(r.report.stages.map((st) => [st.id, st]));
      for (const st of r.report.stages) assert.equal(st.status, 'succeeded', `${st.id}: ${st.error}`);
      assert.deepEqual(byId.deploy!.outputs.boundImages, ['ghcr.io/acme/web:_42']);
      const deployment = get(n, 'deployment/web');
      assert.equal(deployment.spec.replicas, 2);
      assert.equal(deployment.spec.template.spec.containers[0].image, 'ghcr.io/acme/web:_42');
      // The chart's ConfigMap is versioned by deploy, and the Deployment points at that version.
      assert.equal(deployment.spec.template.spec.containers[0].envFrom[0].configMapRef.name, 'web-values-v000');
      assert.equal(get(n, 'configmap/web-values-v000').data.release, 'web');
      assert.equal(get(n, 'service/web').spec.ports[0].port, 80);
      assert.equal(deployment.metadata.annotations['moniker.spinnaker.io/application'], 'shop');
      assert.equal(kubectl(env, ['-n', n, 'get', 'pod', 'web-test-connection']).status, 1, 'chart tests are not deployed');
    } finally {
      if (saved === undefined) delete process.env.GITHUB_RUN_NUMBER;
      else process.env.GITHUB_RUN_NUMBER = saved;
    }
  });

  test('a kustomize bake deploys too, and an embedded artifact deploys without the file', async () => {
    const n = ns();
    const ws = workspace();
    const baked = await run(
      `
name: p
stages:
  - { id: bake, type: bake, engine: kustomize, kustomization: kustomize/base, artifactName: web, embed: true }
`,
      ws,
    );
    assert.equal(baked.report.stages[0]!.status, 'succeeded', baked.report.stages[0]!.error);
    // A later job: a fresh checkout without the baked file, and the artifacts from the job output.
    rmSync(path.join(ws, '.rollgate'), { recursive: true });
    const deployed = await run(
      `
name: p
stages:
  - { id: deploy, type: deploy, namespace: ${n}, fromArtifact: { type: embedded/base64, name: web } }
`,
      ws,
      { kubeconfig: env.KUBECONFIG, artifacts: baked.report.artifacts },
    );
    assert.equal(deployed.report.stages[0]!.status, 'succeeded', deployed.report.stages[0]!.error);
    const deployment = get(n, 'deployment/web');
    assert.match(deployment.spec.template.spec.containers[0].envFrom[0].configMapRef.name, /^web-config-[a-z0-9]{10}-v000$/);

    // The kubernetes/manifest artifact needs its file: without it, deploy cannot read it.
    const withoutFile = await run(
      `
name: p
stages:
  - { id: deploy, type: deploy, namespace: ${n}, fromArtifact: { type: kubernetes/manifest, name: web } }
`,
      ws,
      { kubeconfig: env.KUBECONFIG, artifacts: baked.report.artifacts },
    );
    assert.equal(withoutFile.report.stages[0]!.status, 'failed');
    assert.match(withoutFile.report.stages[0]!.error!, /\.rollgate\/baked\/bake\.yaml/);
  });
});
