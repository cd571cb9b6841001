// The example workflows of examples/workflows, run end to end with act (host mode) on the
// local environment: real jobs, `needs`, job outputs, the bundled action via `uses: ./`,
// the real cluster and Prometheus. act cannot fetch remote actions offline, so
// actions/checkout is replaced by a local stand-in that copies this repository into the
// job's workspace (test/fixtures/act/checkout); the rest of each example runs as written.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { act } from '../helpers/act.ts';
import { testEnv, scratchNamespaces, getJson } from '../helpers/testenv.ts';
import { stableAndCanary } from '../helpers/workloads.ts';
import { SampleFleet } from '../helpers/samples.ts';

const env = testEnv();
const fleet = new SampleFleet(env);
after(() => fleet.stop());
const ns = scratchNamespaces(env, 'ex');
const get = (n: string, what: string) => getJson(env, n, what);

describe('examples/workflows with act', () => {
  test('blue-green: two releases; the second serves, the first is disabled', async () => {
    const n = ns();
    for (const build of ['7', '8']) {
      const r = await act(env, 'examples/workflows/blue-green.yml', { inputs: { build, namespace: n } });
      assert.equal(r.status, 0, r.output.slice(-3000));
      assert.deepEqual(r.jobs, { release: 'succeeded' });
    }
    const r = await act(env, 'examples/workflows/blue-green.yml', { inputs: { build: '9', namespace: n } });
    assert.match(r.output, /now serving web-v002; disabled web-v001/);
    const rs = get(n, 'replicaset/web-v002');
    assert.equal(rs.spec.template.spec.containers[0].image, 'ghcr.io/acme/web:9');
    assert.equal(rs.spec.template.metadata.labels['lb-web'], 'true');
    assert.ok(!('lb-web' in get(n, 'replicaset/web-v001').spec.template.metadata.labels));
  });

  test('progressive-rollout: canary to 50% with analyses, paused, then promoted by the next job', async () => {
    const n = ns();
    stableAndCanary(env, n, { stable: 4, service: true, stableImage: 'ghcr.io/acme/web:1.0.0' });
    const r = await act(env, 'examples/workflows/progressive-rollout.yml', { inputs: { namespace: n }, vars: { PROMETHEUS_URL: env.PROMETHEUS_URL } });
    assert.equal(r.status, 0, r.output.slice(-4000));
    assert.deepEqual(r.jobs, { canary: 'succeeded', promote: 'succeeded' });
    assert.match(r.output, /paused at step 5: resume with action: promote/);
    assert.equal(get(n, 'deployment/web-canary').spec.replicas, 4);
    assert.equal(get(n, 'deployment/web-stable').spec.replicas, 0);
    const state = JSON.parse(get(n, 'deployment/web-canary').metadata.annotations['rollgate.dev/rollout']);
    assert.equal(state.status, 'completed');
    assert.equal(state.history.filter((h: { score?: number }) => h.score !== undefined).length, 2);
  });

  test('canary-release, a good canary: build → deploy → analysis → promote; the rollback job is skipped', async () => {
    const n = ns();
    const r = await act(env, 'examples/workflows/canary-release.yml', { inputs: { namespace: n }, vars: { PROMETHEUS_URL: env.PROMETHEUS_URL } });
    assert.equal(r.status, 0, r.output.slice(-4000));
    assert.deepEqual(r.jobs, { build: 'succeeded', deploy: 'succeeded', analysis: 'succeeded', promote: 'succeeded' });
    assert.doesNotMatch(r.output, /\[canary-release\/rollback\] ⭐ Run Main/);
    const canary = get(n, 'deployment/web-canary');
    assert.match(canary.spec.template.spec.containers[0].image, /^ghcr\.io\/acme\/web:_\d+$/, 'the canary runs the build job\'s image, through the artifacts output');
    assert.equal(get(n, 'deployment/web-baseline').spec.template.spec.containers[0].image, 'ghcr.io/acme/web:1.0.0');
    assert.equal(get(n, 'deployment/web-baseline').spec.replicas, 0);
    assert.equal(canary.spec.replicas, 1);
  });

  test('canary-release, a bad canary: the analysis job fails below marginal and the rollback job scales the canary to 0', async () => {
    const n = ns();
    const scope = `bad-${process.pid}`;
    await fleet.start(scope, { errorRate: 0.3 });
    await fleet.scraped([scope]);
    const r = await act(env, 'examples/workflows/canary-release.yml', { inputs: { namespace: n, canaryScope: scope }, vars: { PROMETHEUS_URL: env.PROMETHEUS_URL } });
    assert.notEqual(r.status, 0);
    assert.deepEqual(r.jobs, { build: 'succeeded', deploy: 'succeeded', analysis: 'failed', rollback: 'succeeded' });
    assert.match(r.output, /canary failed: score 0 at interval 1\/2 is at or below the marginal threshold 50/);
    assert.equal(get(n, 'deployment/web-canary').spec.replicas, 0);
    assert.equal(get(n, 'deployment/web-baseline').spec.replicas, 2);
  });
});
