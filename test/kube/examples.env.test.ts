// The blue/green and canary pipelines of examples/kubernetes, run end to end with the
// bundled CLI against the local cluster.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { testEnv, kubectl, makeNamespace, eventually } from '../helpers/testenv.ts';
import { ROOT } from '../helpers/runner.ts';

const env = testEnv();
const namespaces: string[] = [];
after(() => {
  for (const ns of namespaces) kubectl(env, ['delete', 'namespace', ns, '--wait=false']);
});
const rollgate = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/index.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, KUBECONFIG: env.KUBECONFIG, NO_COLOR: '1' } });
const get = (n: string, what: string) => JSON.parse(kubectl(env, ['-n', n, 'get', what, '-o', 'json']).stdout);
const image = (build: number) => JSON.stringify([{ type: 'docker/image', name: 'ghcr.io/acme/web', version: String(build), reference: `ghcr.io/acme/web:${build}` }]);
const servingPods = (n: string) =>
  (get(n, 'endpointslices').items as { metadata: { labels: Record<string, string> }; endpoints?: { targetRef: { name: string } }[] }[])
    .filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 'web')
    .flatMap((s) => (s.endpoints ?? []).map((e) => e.targetRef.name));

describe('examples/kubernetes', () => {
  test('blue/green: each release takes over the Service; the previous version is disabled, older ones pruned', async () => {
    const n = makeNamespace(env, 'bg');
    namespaces.push(n);
    for (const build of [1, 2, 3]) {
      const r = rollgate('run', 'examples/kubernetes/bluegreen.yml', '--input', `namespace=${n}`, '--artifacts', image(build));
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const version = `web-v00${build - 1}`;
      const rs = get(n, `replicaset/${version}`);
      assert.equal(rs.spec.template.spec.containers[0].image, `ghcr.io/acme/web:${build}`);
      // The endpoint controller follows the pod labels shortly after the stage ends.
      await eventually(`build ${build}: endpoints on ${version} only`, () => {
        const serving = servingPods(n);
        return serving.length === 2 && serving.every((p) => p.startsWith(`${version}-`));
      });
    }
    const versions = (get(n, 'replicasets').items as { metadata: { name: string } }[]).map((x) => x.metadata.name).sort();
    assert.deepEqual(versions, ['web-v001', 'web-v002'], 'max-version-history 2');
  });

  test('canary, promoted: the baseline is scaled to 0', () => {
    const n = makeNamespace(env, 'canary');
    namespaces.push(n);
    const r = rollgate('run', 'examples/kubernetes/canary.yml', '--input', `namespace=${n}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /○ retire-canary\s+skipped/);
    assert.equal(get(n, 'deployment/web-baseline').spec.replicas, 0);
    assert.equal(get(n, 'deployment/web-canary').status.readyReplicas, 1);
    assert.equal(get(n, 'deployment/web-canary').spec.template.spec.containers[0].image, 'ghcr.io/acme/web:1.1.0');
  });

  test('canary, rolled back: the canary is scaled to 0 and the run fails', () => {
    const n = makeNamespace(env, 'canary');
    namespaces.push(n);
    const r = rollgate('run', 'examples/kubernetes/canary.yml', '--input', `namespace=${n}`, '--input', 'verdict=rollback');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✔ retire-canary\s+succeeded/);
    assert.match(r.stderr, /stage report-rollback: Precondition failed: false is false. The canary was rolled back./);
    assert.equal(get(n, 'deployment/web-canary').spec.replicas, 0);
    assert.equal(get(n, 'deployment/web-baseline').status.readyReplicas, 2);
  });
});
