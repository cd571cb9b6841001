// Preview teardown deleting Kubernetes resources on the local control plane (README, "The
// local environment"), with GitHub played by the contract-checked fake
// (test/helpers/github-fake.ts): GitHub's API cannot run here.
import { test, describe, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml, testRegistry } from '../helpers/engine.ts';
import { testEnv, kubectl, makeNamespace, eventually } from '../helpers/testenv.ts';
import { startGitHubFake, setEnv, type GitHubFake } from '../helpers/github-fake.ts';
import { createPreviewStage } from '../../src/stages/preview.ts';
import { githubClient, type GitHubFactory } from '../../src/github/client.ts';

const env = testEnv();
const unpaced: GitHubFactory = (ctx, o) => githubClient(ctx, { ...o, paceWrites: false });
const registry = { ...testRegistry, preview: createPreviewStage({ github: unpaced }) };
const namespaces: string[] = [];
after(() => {
  for (const ns of namespaces) kubectl(env, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
});
const cleanups: (() => Promise<void> | void)[] = [];
let current: GitHubFake | undefined;
afterEach(async () => {
  const fake = current;
  for (const c of cleanups.splice(0).reverse()) await c();
  assert.deepEqual(fake?.violations ?? [], []);
});

async function setup(): Promise<{ gh: GitHubFake; ns: string }> {
  const gh = await startGitHubFake();
  current = gh;
  cleanups.push(() => gh.close());
  cleanups.push(setEnv({ ...gh.env(), GITHUB_EVENT_PATH: undefined, GITHUB_SHA: 'f'.repeat(40), GITHUB_RUN_ID: '9' }));
  const ns = makeNamespace(env, 'rg-preview');
  namespaces.push(ns);
  const r = kubectl(
    env,
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: ConfigMap
metadata: { name: web-config, namespace: ${ns}, labels: { preview: pr-5 } }
data: { a: "1" }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns}, labels: { preview: pr-5 } }
spec: { selector: { app: web }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: shared, namespace: ${ns} }
data: { b: "2" }
`,
  );
  assert.equal(r.status, 0, r.stderr);
  return { gh, ns };
}

const names = (ns: string, kind: string) =>
  (JSON.parse(kubectl(env, ['-n', ns, 'get', kind, '-o', 'json']).stdout).items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();

describe('preview teardown on a real API server', () => {
  test('deletes the labelled resources, leaves the others, and marks the deployments inactive', async () => {
    const { gh, ns } = await setup();
    const deploy = await runYaml(`name: p\nstages:\n  - { id: up, type: preview, pullRequest: 5, url: "https://pr-5.example.com" }\n`, { registry });
    assert.equal(deploy.report.stages[0]!.status, 'succeeded', deploy.report.stages[0]!.error);
    const yaml = `
name: p
stages:
  - id: down
    type: preview
    action: teardown
    pullRequest: 5
    namespace: ${ns}
    kinds: [ConfigMap, service]
    labelSelector: preview=pr-5
`;
    const r = await runYaml(yaml, { registry, kubeconfig: env.KUBECONFIG });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.deepEqual(st.outputs.deleted, [`ConfigMap ${ns}/web-config`, `Service ${ns}/web`]);
    assert.deepEqual(names(ns, 'configmaps').filter((n) => n !== 'kube-root-ca.crt'), ['shared']);
    assert.deepEqual(names(ns, 'services'), []);
    assert.deepEqual(gh.deployments[0]!.statuses.map((s) => s.state), ['in_progress', 'success', 'inactive']);
    assert.ok(gh.comments[0]!.body.includes('was torn down'));
  });

  test('deleteNamespace deletes the preview namespace; dry run deletes nothing', async () => {
    const { gh, ns } = await setup();
    const yaml = (extra = '') => `
name: p
stages:
  - { id: down, type: preview, action: teardown, environment: pr-5, namespace: ${ns}, deleteNamespace: true${extra} }
`;
    const dry = await runYaml(yaml(), { registry, kubeconfig: env.KUBECONFIG, dryRun: true });
    assert.equal(dry.report.stages[0]!.status, 'succeeded', dry.report.stages[0]!.error);
    assert.ok(dry.lines.includes(`dry run: would delete Namespace ${ns}`), dry.lines.join('\n'));
    assert.equal(kubectl(env, ['get', 'namespace', ns]).status, 0);
    assert.equal(gh.requests.length, 0);

    const r = await runYaml(yaml(), { registry, kubeconfig: env.KUBECONFIG });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.deepEqual(r.report.stages[0]!.outputs.deleted, [`Namespace ${ns}`]);
    await eventually('the namespace to go or terminate', () => {
      const g = kubectl(env, ['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}']);
      return g.status !== 0 || g.stdout === 'Terminating';
    });
  });
});
