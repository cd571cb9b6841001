// Build → deploy across jobs with the bundled action and the local cluster: the build job
// tags and bakes, the deploy job (a fresh checkout) deploys from the artifacts it is given.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStep, ROOT } from '../helpers/runner.ts';
import { testEnv, kubectl, makeNamespace } from '../helpers/testenv.ts';

const env = testEnv();
const namespaces: string[] = [];
after(() => {
  for (const ns of namespaces) kubectl(env, ['delete', 'namespace', ns, '--wait=false']);
});

const pipeline = (namespace: string) => `name: release
application: shop
stages:
  - id: tag
    type: image-tag
    image: ghcr.io/acme/web
    format: _{BUILD_NUMBER}
  - id: bake
    type: bake
    chart: charts/web
    namespace: ${namespace}
    overrides: { image.tag: "_{BUILD_NUMBER}" }
    embed: true
  - id: deploy
    type: deploy
    dependsOn: [tag, bake]
    fromArtifact: { type: embedded/base64, name: web }
    requiredArtifacts: [{ type: docker/image, name: ghcr.io/acme/web }]
  - id: deploy-file
    type: deploy
    dependsOn: [tag, bake]
    fromArtifact: { type: kubernetes/manifest, name: web }
`;

function checkout(namespace: string): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'rg-job-'));
  cpSync(path.join(ROOT, 'test/fixtures/charts'), path.join(ws, 'charts'), { recursive: true });
  writeFileSync(path.join(ws, 'pipeline.yml'), pipeline(namespace));
  return ws;
}

describe('build → deploy across jobs (the bundled action, the local cluster)', () => {
  test('the deploy job deploys (dry run) what the build job baked, with the image it tagged', async () => {
    const n = makeNamespace(env, 'rg-xjob');
    namespaces.push(n);
    const buildWs = checkout(n);
    const build = await runStep({
      inputs: { pipeline: 'pipeline.yml', stages: 'tag,bake' },
      workspace: buildWs,
      env: { GITHUB_RUN_NUMBER: '42', ROLLGATE_HELM: env.ROLLGATE_HELM },
      post: false,
    });
    assert.equal(build.exitCode, 0, build.stdout + build.stderr);
    assert.equal(build.outputs['bake-manifestFile'], '.rollgate/baked/bake.yaml');
    const artifacts = JSON.parse(build.outputs.artifacts!) as { type: string; name: string }[];
    assert.deepEqual(
      artifacts.map((a) => `${a.type} ${a.name}`),
      ['docker/image ghcr.io/acme/web', 'kubernetes/manifest web', 'embedded/base64 web'],
    );

    const kubeconfig = readFileSync(env.KUBECONFIG, 'utf8');
    // embedded/base64: the YAML travels inside the artifacts output; the fresh checkout needs nothing else.
    const deploy = await runStep({
      inputs: { pipeline: 'pipeline.yml', stages: 'deploy', artifacts: build.outputs.artifacts!, kubeconfig, 'dry-run': 'true' },
      workspace: checkout(n),
    });
    assert.equal(deploy.exitCode, 0, deploy.stdout + deploy.stderr);
    assert.deepEqual(JSON.parse(deploy.outputs['deploy-boundImages']!), ['ghcr.io/acme/web:_42']);
    assert.match(deploy.stdout, /dry run: Deployment .*web would be created/);
    assert.equal(kubectl(env, ['-n', n, 'get', 'deployment', 'web']).status, 1, 'a dry run creates nothing');

    // kubernetes/manifest: the file must come along (actions/upload-artifact → download-artifact).
    const deployWs = checkout(n);
    const missing = await runStep({
      inputs: { pipeline: 'pipeline.yml', stages: 'deploy-file', artifacts: build.outputs.artifacts!, kubeconfig, 'dry-run': 'true' },
      workspace: deployWs,
    });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stdout, /\.rollgate\/baked\/bake\.yaml/);
    cpSync(path.join(buildWs, '.rollgate/baked'), path.join(deployWs, '.rollgate/baked'), { recursive: true });
    const withFile = await runStep({
      inputs: { pipeline: 'pipeline.yml', stages: 'deploy-file', artifacts: build.outputs.artifacts!, kubeconfig, 'dry-run': 'true' },
      workspace: deployWs,
    });
    assert.equal(withFile.exitCode, 0, withFile.stdout + withFile.stderr);
    assert.deepEqual(JSON.parse(withFile.outputs['deploy-file-boundImages']!), ['ghcr.io/acme/web:_42']);
  });
});
