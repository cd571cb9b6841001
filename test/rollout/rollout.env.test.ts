// The rollout stage on the real control plane: the replicas router with real Service
// endpoints, the Istio / Gateway API / SMI routers with their published CRDs, pauses
// resumed by a later run, and rollback on a failed analysis against real Prometheus.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml } from '../helpers/engine.ts';
import { testEnv, kubectl, eventually, scratchNamespaces, getJson } from '../helpers/testenv.ts';
import { applyYaml, stableAndCanary } from '../helpers/workloads.ts';
import { SampleFleet, ERROR_RATIO_CONFIG } from '../helpers/samples.ts';

const env = testEnv();
const fleet = new SampleFleet(env);
after(() => fleet.stop());
const ns = scratchNamespaces(env, 'ro');
const get = (n: string, what: string) => getJson(env, n, what);
const run = (yaml: string) => runYaml(yaml, { kubeconfig: env.KUBECONFIG });
const apply = (yaml: string) => applyYaml(env, yaml);
const endpointTracks = (n: string, svc: string) => {
  const pods = new Map((get(n, 'pods').items as { metadata: { name: string; labels: Record<string, string> } }[]).map((p) => [p.metadata.name, p.metadata.labels.track]));
  const slices = (get(n, 'endpointslices').items as { metadata: { labels: Record<string, string> }; endpoints?: { targetRef: { name: string }; conditions?: { ready?: boolean } }[] }[]).filter(
    (s) => s.metadata.labels['kubernetes.io/service-name'] === svc,
  );
  const counts = { stable: 0, canary: 0 };
  for (const s of slices) for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) counts[pods.get(e.targetRef.name) as 'stable' | 'canary']++;
  return counts;
};

describe('rollout: replicas router', () => {
  test('10 → 50 → 100: the Service endpoints follow the pod ratio; promotion leaves only the new version', async () => {
    const n = ns();
    stableAndCanary(env, n, { stable: 10, canary: 0, service: true });
    const seen = new Set<string>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const c = endpointTracks(n, 'web');
        seen.add(`${c.stable}:${c.canary}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const r = await run(`
name: p
stages:
  - id: rollout
    type: rollout
    stable: { kind: Deployment, name: web-stable, namespace: ${n} }
    canary: { kind: Deployment, name: web-canary, namespace: ${n} }
    router: { type: replicas, service: web }
    scaleDownDelay: 1s
    steps:
      - setWeight: 10
      - pause: 2s
      - setWeight: 50
      - pause: 2s
      - setWeight: 100
`);
    polling = false;
    await poller;
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.phase, 'completed');
    assert.ok(seen.has('9:1'), `endpoint ratios seen: ${[...seen]}`);
    assert.ok(seen.has('5:5'), `endpoint ratios seen: ${[...seen]}`);
    await eventually('only canary endpoints', () => {
      const c = endpointTracks(n, 'web');
      return c.stable === 0 && c.canary === 10;
    });
    assert.equal(get(n, 'deployment/web-stable').spec.replicas, 0);
    assert.deepEqual((st.outputs.weights as { weight: number }[]).map((w) => w.weight).filter((w, i, a) => a.indexOf(w) === i), [10, 50, 100]);
    assert.match(st.summary!, /<table>/);
  });

  test('a canary whose errors jump at step 2: the analysis fails, traffic returns to stable in one write', async () => {
    const n = ns();
    stableAndCanary(env, n, { stable: 4, canary: 0, service: true });
    const [b, c] = [`rb-${process.pid}`, `rc-${process.pid}`];
    const [, canarySvc] = await Promise.all([fleet.start(b, { errorRate: 0.01 }), fleet.start(c, { errorRate: 0.01 })]);
    await fleet.scraped([b, c]);
    const analysis = (lifetime: string) => `
          metricStore: { url: "${env.PROMETHEUS_URL}" }
          lifetime: ${lifetime}
          interval: ${lifetime}
          step: 1s
          baseline: ${b}
          canary: ${c}
          canaryConfig: ${ERROR_RATIO_CONFIG}`;
    // The canary breaks as soon as step 2 (50%) is reached: watch its Deployment scale to 2 of 4.
    let watching = true;
    const breaker = (async () => {
      while (watching) {
        if (get(n, 'deployment/web-canary').spec.replicas === 2) return canarySvc.set({ errorRate: 0.4 });
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const r = await run(`
name: p
stages:
  - id: rollout
    type: rollout
    stable: { kind: Deployment, name: web-stable, namespace: ${n} }
    canary: { kind: Deployment, name: web-canary, namespace: ${n} }
    router: { type: replicas, service: web }
    steps:
      - setWeight: 25
      - analysis:${analysis('6s')}
      - setWeight: 50
      - analysis:${analysis('6s')}
          delay: 3s
      - setWeight: 100
`);
    watching = false;
    await breaker;
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.match(st.error!, /analysis at step 3 failed, rolled back in \d+\.\d+s/);
    assert.equal(st.outputs.phase, 'aborted');
    assert.ok((st.outputs.rollbackSeconds as number) < 10, `rollback took ${st.outputs.rollbackSeconds}s`);
    assert.equal(get(n, 'deployment/web-canary').spec.replicas, 0);
    assert.equal(get(n, 'deployment/web-stable').spec.replicas, 4);
    const eps = endpointTracks(n, 'web');
    assert.equal(eps.canary, 0);
    const scores = st.outputs.analysisScores as number[];
    assert.equal(scores.length, 2);
    assert.ok(scores[0]! >= 75 && scores[1]! <= 50, `scores ${scores}`);
  });
});

describe('rollout: CRD routers', { concurrency: true }, () => {
  const routed = async (router: 'istio' | 'gateway-api' | 'smi') => {
    const n = ns();
    stableAndCanary(env, n, { stable: 2, canary: 0 });
    const objects = {
      istio: `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: ${n} }
spec: { host: web, subsets: [{ name: stable, labels: { track: stable } }, { name: canary, labels: { track: canary } }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: ${n} }
spec:
  hosts: [web]
  http:
    - name: primary
      route:
        - { destination: { host: web, subset: stable }, weight: 100 }
        - { destination: { host: web, subset: canary }, weight: 0 }
`,
      'gateway-api': `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: ${n} }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - backendRefs:
        - { name: web-stable, port: 80, weight: 100 }
        - { name: web-canary, port: 80, weight: 0 }
`,
      smi: `apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: { name: web, namespace: ${n} }
spec:
  service: web
  backends:
    - { service: web-stable, weight: 100 }
    - { service: web-canary, weight: 0 }
`,
    };
    apply(objects[router]);
    const routerYaml = {
      istio: '{ type: istio, virtualService: web, route: primary, stableSubset: stable, canarySubset: canary, destinationRule: web }',
      'gateway-api': '{ type: gateway-api, httpRoute: web, stableService: web-stable, canaryService: web-canary }',
      smi: '{ type: smi, trafficSplit: web, stableService: web-stable, canaryService: web-canary }',
    }[router];
    const weights = () => {
      if (router === 'istio') return (get(n, 'virtualservice/web').spec.http[0].route as { weight: number }[]).map((r) => r.weight);
      if (router === 'gateway-api') return (get(n, 'httproute/web').spec.rules[0].backendRefs as { weight: number }[]).map((r) => r.weight);
      return (get(n, 'trafficsplit/web').spec.backends as { weight: number }[]).map((r) => r.weight);
    };
    const pipeline = (action: string) => `
name: p
stages:
  - id: rollout
    type: rollout
    action: ${action}
    stable: { kind: Deployment, name: web-stable, namespace: ${n} }
    canary: { kind: Deployment, name: web-canary, namespace: ${n} }
    router: ${routerYaml}
    scaleDownDelay: 0
    steps:
      - setWeight: 20
      - pause: {}
      - setWeight: 60
      - pause: {}
      - setWeight: 100
`;
    return { n, weights, pipeline };
  };

  for (const router of ['istio', 'gateway-api', 'smi'] as const) {
    test(`${router}: weights at each step, paused between runs, then promoted`, async () => {
      const { n, weights, pipeline } = await routed(router);
      const first = await run(pipeline('run'));
      assert.equal(first.report.stages[0]!.outputs.phase, 'paused', first.report.stages[0]!.error);
      assert.deepEqual(weights(), [80, 20]);
      assert.equal(get(n, 'deployment/web-canary').spec.replicas, 1, 'canary scaled to the weight (ceil 2×20%)');
      const again = await run(pipeline('run'));
      assert.match(again.report.stages[0]!.error!, /is paused at step 2; resume it with action: promote/);
      const second = await run(pipeline('promote'));
      assert.equal(second.report.stages[0]!.outputs.phase, 'paused');
      assert.deepEqual(weights(), [40, 60]);
      const third = await run(pipeline('promote'));
      assert.equal(third.report.stages[0]!.outputs.phase, 'completed', third.report.stages[0]!.error);
      assert.deepEqual(weights(), [0, 100]);
      assert.equal(get(n, 'deployment/web-stable').spec.replicas, 0);
      assert.equal(get(n, 'deployment/web-canary').spec.replicas, 2);
    });
  }

  test('abort from a later run: weights back to stable in one write, the canary scaled to 0', async () => {
    const { n, weights, pipeline } = await routed('istio');
    await run(pipeline('run'));
    assert.deepEqual(weights(), [80, 20]);
    const r = await run(pipeline('abort'));
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.phase, 'aborted');
    assert.deepEqual(weights(), [100, 0]);
    assert.equal(get(n, 'deployment/web-canary').spec.replicas, 0);
    const state = JSON.parse(get(n, 'deployment/web-canary').metadata.annotations['rollgate.dev/rollout']);
    assert.equal(state.status, 'aborted');
    const promote = await run(pipeline('promote'));
    assert.match(promote.report.stages[0]!.error!, /nothing to promote: the rollout of web-canary is aborted/);
  });

  test('two jobs promoting the same paused rollout at once: one goes on, the other changes nothing and says why', async () => {
    const { n, weights, pipeline } = await routed('istio');
    await run(pipeline('run'));
    const [a, b] = await Promise.all([run(pipeline('promote')), run(pipeline('promote'))]);
    const results = [a, b].map((r) => r.report.stages[0]!);
    const won = results.filter((st) => st.status === 'succeeded');
    const lost = results.filter((st) => st.status === 'failed');
    assert.equal(won.length, 1, JSON.stringify(results.map((st) => st.error)));
    assert.equal(lost.length, 1);
    // The loser either read the state after the winner claimed it (running), or read it
    // before and lost the claim (the resourceVersion it wrote onto was gone).
    assert.match(
      lost[0]!.error!,
      /Deployment web-canary: another job changed the rollout while this promote was starting, so this one changed nothing\. The rollout is now (running|paused)|nothing to promote: the rollout of web-canary is running, not paused/,
    );
    assert.equal(won[0]!.outputs.phase, 'paused');
    assert.deepEqual(weights(), [40, 60], 'promoted once: the next pause, not the one after');
    const state = JSON.parse(get(n, 'deployment/web-canary').metadata.annotations['rollgate.dev/rollout']);
    assert.deepEqual([state.status, state.step], ['paused', 4]);
  });

  test('a route object that does not name both versions is refused before anything changes', async () => {
    const { n, pipeline } = await routed('smi');
    kubectl(env, ['-n', n, 'patch', 'trafficsplit', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/backends/1/service","value":"other"}]']);
    const r = await run(pipeline('run'));
    assert.match(r.report.stages[0]!.error!, /TrafficSplit web has no backend web-canary/);
    assert.equal(get(n, 'deployment/web-canary').spec.replicas, 0);
  });
});
