// The bake stage with kustomize: the kubectl of the local environment (built-in kustomize).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { testEnv } from '../helpers/testenv.ts';
import { manifests, run, workspace } from './helpers.ts';

const env = testEnv();
process.env.ROLLGATE_KUBECTL = env.ROLLGATE_KUBECTL;
delete process.env.ROLLGATE_KUSTOMIZE;

const stage = (dir: string, extra = '') => `
name: p
stages:
  - id: bake
    type: bake
    engine: kustomize
    kustomization: ${dir}${extra}
`;

describe('bake (kustomize)', () => {
  test('an overlay over a base: prefix, namespace, patch, image and generated ConfigMap all applied', async () => {
    const ws = workspace();
    const r = await run(stage('kustomize/overlays/production'), ws);
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.documents, 3);
    assert.deepEqual(st.outputs.kinds, ['ConfigMap', 'Service', 'Deployment']);
    assert.equal(st.outputs.chartVersion, undefined);
    assert.equal(st.outputs.droppedTests, undefined);
    assert.deepEqual(st.artifacts, [
      {
        type: 'kubernetes/manifest',
        name: 'kustomize/overlays/production',
        reference: '.rollgate/baked/bake.yaml',
        metadata: { engine: 'kustomize', kustomization: 'kustomize/overlays/production' },
      },
    ]);
    const objs = manifests(ws, '.rollgate/baked/bake.yaml');
    assert.ok(objs.every((o) => o.metadata.namespace === 'production'));
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    assert.match(cm.metadata.name, /^prod-web-config-[a-z0-9]{10}$/);
    assert.equal(cm.data!.LOG_LEVEL, 'warn');
    const deployment = objs.find((o) => o.kind === 'Deployment')!;
    assert.equal(deployment.metadata.name, 'prod-web');
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.spec.template.spec.containers[0].image, 'ghcr.io/acme/web:1.4.2');
    assert.equal(deployment.spec.template.spec.containers[0].envFrom[0].configMapRef.name, cm.metadata.name);
    assert.ok(r.lines.some((l) => l.includes('kubectl kustomize kustomize/overlays/production')));

    // The base alone, named by the kustomization file, with an artifact name of its own.
    const base = await run(stage('kustomize/base/kustomization.yaml', '\n    artifactName: web-base'), ws);
    assert.equal(base.report.stages[0]!.status, 'succeeded', base.report.stages[0]!.error);
    assert.equal(base.report.stages[0]!.artifacts[0]!.name, 'web-base');
    assert.equal(manifests(ws, '.rollgate/baked/bake.yaml').find((o) => o.kind === 'Deployment')!.spec.replicas, 1);
  });

  test("kustomize's own error for a missing resource; a directory without kustomization.yaml", async () => {
    const ws = workspace();
    writeFileSync(path.join(ws, 'kustomize/base/kustomization.yaml'), 'resources:\n  - deployment.yaml\n  - missing.yaml\n');
    const broken = await run(stage('kustomize/overlays/production'), ws);
    assert.match(broken.report.stages[0]!.error!, /^kubectl kustomize failed \(exit code 1\): error: .*missing\.yaml/);
    const none = await run(stage('charts'), ws);
    assert.equal(
      none.report.stages[0]!.error,
      'kustomization: "charts" has no kustomization.yaml, kustomization.yml, Kustomization; give a kustomization\'s directory (an overlay or a base)',
    );
  });
});
