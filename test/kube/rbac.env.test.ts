// Least privilege, on the real control plane: each Kubernetes stage runs as a ServiceAccount
// whose namespaced Role holds exactly the rules below, and succeeds; with any one verb taken
// away it fails, and the error says "forbidden" with the verb, the resource and the namespace.
// The README's Permissions table and example Role are checked against the same rules.
import { test, describe, after as afterAll } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runYaml } from '../helpers/engine.ts';
import { ROOT } from '../helpers/runner.ts';
import { testEnv, kubectl, eventually, getJson, scratchNamespaces } from '../helpers/testenv.ts';
import { createKubeClient, type KubeObject } from '../../src/kube/client.ts';

interface Rule {
  apiGroup: string;
  resource: string;
  verbs: string[];
}

type Stage = 'deploy' | 'patch' | 'scale' | 'rollout-undo' | 'delete' | 'disable' | 'enable' | 'rollout';

const traffic: Rule[] = [
  { apiGroup: 'apps', resource: 'replicasets', verbs: ['get', 'list', 'patch'] },
  { apiGroup: '', resource: 'services', verbs: ['get'] },
  { apiGroup: '', resource: 'pods', verbs: ['list', 'patch'] },
  { apiGroup: 'discovery.k8s.io', resource: 'endpointslices', verbs: ['list'] },
];

/** What each stage needs, as the scenarios below use it; the README's table says the same. */
const RULES: Record<Stage, Rule[]> = {
  deploy: [
    { apiGroup: '', resource: 'configmaps', verbs: ['list', 'create', 'patch', 'delete'] },
    { apiGroup: '', resource: 'services', verbs: ['get', 'create', 'patch'] },
    { apiGroup: 'apps', resource: 'replicasets', verbs: ['get', 'list', 'create', 'patch', 'delete'] },
  ],
  patch: [{ apiGroup: 'apps', resource: 'replicasets', verbs: ['get', 'list', 'patch'] }],
  scale: [{ apiGroup: 'apps', resource: 'replicasets', verbs: ['get', 'list', 'patch'] }],
  'rollout-undo': [
    { apiGroup: 'apps', resource: 'deployments', verbs: ['get', 'list', 'patch'] },
    { apiGroup: 'apps', resource: 'replicasets', verbs: ['list'] },
  ],
  delete: [{ apiGroup: 'apps', resource: 'replicasets', verbs: ['get', 'list', 'delete'] }],
  disable: traffic,
  enable: traffic,
  rollout: [
    { apiGroup: 'apps', resource: 'deployments', verbs: ['get', 'list', 'patch'] },
    { apiGroup: 'apps', resource: 'replicasets', verbs: ['list'] },
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
    { apiGroup: 'discovery.k8s.io', resource: 'endpointslices', verbs: ['list'] },
  ],
};

type Router = 'istio' | 'gateway-api' | 'smi';

/**
 * With a CRD router, rollout needs these on the route object, and on its Deployments only get
 * and patch (static targets): not the replicasets, pods and endpointslices rules, which serve
 * the replicas router's Service. The README's router table says the same.
 */
const ROUTER_RULES: Record<Router, Rule[]> = {
  istio: [
    { apiGroup: 'networking.istio.io', resource: 'virtualservices', verbs: ['get', 'patch'] },
    { apiGroup: 'networking.istio.io', resource: 'destinationrules', verbs: ['get'] },
  ],
  'gateway-api': [{ apiGroup: 'gateway.networking.k8s.io', resource: 'httproutes', verbs: ['get', 'patch'] }],
  smi: [{ apiGroup: 'split.smi-spec.io', resource: 'trafficsplits', verbs: ['get', 'patch'] }],
};
const WORKLOADS: Rule = { apiGroup: 'apps', resource: 'deployments', verbs: ['get', 'patch'] };

const env = testEnv();
const ns = scratchNamespaces(env, 'rbac');
const admin = await createKubeClient({ kubeconfigPath: env.KUBECONFIG }, {});
const cluster = JSON.parse(kubectl(env, ['config', 'view', '--raw', '--minify', '-o', 'json']).stdout).clusters[0].cluster;
const dir = mkdtempSync(path.join(os.tmpdir(), 'rbac-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Result = Awaited<ReturnType<typeof runYaml>>;
const errorsOf = (r: Result) => r.report.stages.filter((s) => s.status === 'failed').map((s) => `${s.id}: ${s.error}`);
const ok = (r: Result) => {
  assert.equal(r.report.result, 'succeeded', errorsOf(r).join('\n'));
  return r;
};
/** Runs a pipeline as the cluster's admin, to set the scene. */
const asAdmin = async (yaml: string) => ok(await runYaml(yaml, { kubeconfig: env.KUBECONFIG }));

/** A ServiceAccount in the namespace, bound to a Role with these rules; returns a kubeconfig that is that account. */
async function serviceAccount(n: string, rules: Rule[]): Promise<string> {
  const meta = { name: 'rollgate', namespace: n };
  await admin.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta });
  await admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta,
    rules: rules.map((r) => ({ apiGroups: [r.apiGroup], resources: [r.resource], verbs: r.verbs })),
  });
  await admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rollgate' },
    subjects: [{ kind: 'ServiceAccount', name: 'rollgate', namespace: n }],
  });
  const token = kubectl(env, ['-n', n, 'create', 'token', 'rollgate', '--duration=15m']);
  assert.equal(token.status, 0, token.stderr);
  const file = path.join(dir, n);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster }],
      users: [{ name: 'rollgate', user: { token: token.stdout.trim() } }],
      contexts: [{ name: 'rollgate', context: { cluster: 'local', user: 'rollgate', namespace: n } }],
      'current-context': 'rollgate',
    }),
  );
  return file;
}

// The scene: a Service "web" selecting lb-web=true, and versions of a ReplicaSet "web" (with
// a versioned ConfigMap) that name it as their load balancer, as a blue/green release does.
const SERVICE = `{ apiVersion: v1, kind: Service, metadata: { name: web }, spec: { selector: { lb-web: "true" }, ports: [{ port: 80, targetPort: 8080 }] } }`;
const release = (release: number, keep = 1) => `
      - apiVersion: v1
        kind: ConfigMap
        metadata: { name: web-config, annotations: { strategy.spinnaker.io/max-version-history: "${keep}" } }
        data: { release: "${release}" }
      - apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web
          annotations:
            traffic.spinnaker.io/load-balancers: '["service web"]'
            strategy.spinnaker.io/max-version-history: "${keep}"
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [{ name: web, image: "web:${release}", envFrom: [{ configMapRef: { name: web-config } }] }] }`;
const deployStage = (id: string, n: string, manifests: string, extra = '') => `
  - id: ${id}
    type: deploy
    namespace: ${n}${extra}
    manifests:${manifests}`;
const pipeline = (...stages: string[]) => `name: rbac\napplication: shop\nstages:${stages.join('')}\n`;
const after = (id: string) => `\n    dependsOn: [${id}]`;

/** The service, then `versions` releases of the ReplicaSet, deployed by the admin. */
const releases = (n: string, versions: number, o: { traffic?: boolean; wait?: boolean; keep?: number } = {}) =>
  asAdmin(
    pipeline(
      deployStage('service', n, `\n      - ${SERVICE}`),
      ...Array.from({ length: versions }, (_, i) =>
        deployStage(`r${i}`, n, release(i, o.keep), `${after(i ? `r${i - 1}` : 'service')}\n    traffic: ${o.traffic ?? true}\n    wait: ${o.wait ?? true}`),
      ),
    ),
  );

const get = (n: string, what: string) => getJson(env, n, what);
const names = (n: string, what: string): string[] => (get(n, what).items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();
const endpointPods = (n: string): string[] =>
  (JSON.parse(kubectl(env, ['-n', n, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json']).stdout).items ?? []).flatMap(
    (s: { endpoints?: { targetRef?: { name: string } }[] }) => (s.endpoints ?? []).map((e) => e.targetRef!.name),
  );

interface Scenario {
  /** Sets the scene as the admin, in a fresh namespace. */
  setup?: (n: string) => Promise<unknown>;
  /** The pipeline the ServiceAccount runs. */
  run: (n: string) => string;
  /** The cluster afterwards, when it succeeded. */
  check: (n: string, r: Result) => void | Promise<void>;
}

/** Dynamic and static targets in the cluster "replicaSet web". */
const newest = (n: string) => `{ kind: replicaSet, name: web, namespace: ${n}, strategy: newest }`;
const named = (n: string, name: string, kind = 'ReplicaSet') => `{ kind: ${kind}, name: ${name}, namespace: ${n} }`;

/** The Service web selecting the Deployments web-stable (`replicas`) and web-canary (none), deployed by the admin. */
const tracks = (n: string, replicas: number) => {
  const track = (name: string, replicas: number) => `
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: ${name} }
        spec:
          replicas: ${replicas}
          selector: { matchLabels: { app: web, track: ${name} } }
          template:
            metadata: { labels: { app: web, track: ${name} } }
            spec: { containers: [{ name: web, image: "${name}:1" }] }`;
  const service = `\n      - { apiVersion: v1, kind: Service, metadata: { name: web }, spec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] } }`;
  return asAdmin(pipeline(deployStage('scene', n, service + track('web-stable', replicas) + track('web-canary', 0))));
};
const state = (d: { metadata: { annotations: Record<string, string> } }) => JSON.parse(d.metadata.annotations['rollgate.dev/rollout']!);

const SCENARIOS: Record<Stage, Scenario> = {
  // A blue/green release from nothing: the Service, then two versions; the second prunes the first.
  deploy: {
    run: (n) => pipeline(deployStage('service', n, `\n      - ${SERVICE}`), deployStage('v0', n, release(0), after('service')), deployStage('v1', n, release(1), after('v0'))),
    check: (n) => {
      assert.deepEqual(names(n, 'services'), ['web']);
      assert.deepEqual(names(n, 'replicasets'), ['web-v001']);
      assert.deepEqual(names(n, 'configmaps'), ['kube-root-ca.crt', 'web-config-v001']);
      const rs = get(n, 'replicaset/web-v001');
      assert.equal(rs.status.readyReplicas, 2);
      assert.equal(rs.spec.template.spec.containers[0].envFrom[0].configMapRef.name, 'web-config-v001');
      assert.equal(rs.spec.template.metadata.labels['lb-web'], 'true');
    },
  },
  patch: {
    setup: (n) => releases(n, 1, { wait: false }),
    run: (n) => `${pipeline()}
  - { id: patch, type: patch, target: ${newest(n)}, patch: { spec: { replicas: 3 } } }`,
    check: (n) => assert.equal(get(n, 'replicaset/web-v000').status.readyReplicas, 3),
  },
  scale: {
    setup: (n) => releases(n, 1, { wait: false }),
    run: (n) => `${pipeline()}
  - { id: scale, type: scale, target: ${newest(n)}, replicas: 1 }`,
    check: (n) => {
      const rs = get(n, 'replicaset/web-v000');
      assert.deepEqual([rs.spec.replicas, rs.status.readyReplicas], [1, 1]);
    },
  },
  'rollout-undo': {
    setup: (n) => {
      const api = (image: string) => `
      - apiVersion: apps/v1
        kind: Deployment
        metadata: { name: api }
        spec:
          replicas: 2
          selector: { matchLabels: { app: api } }
          template:
            metadata: { labels: { app: api } }
            spec: { containers: [{ name: api, image: "${image}" }] }`;
      return asAdmin(pipeline(deployStage('one', n, api('api:1')), deployStage('two', n, api('api:2'), after('one'))));
    },
    run: (n) => `${pipeline()}
  - { id: undo, type: rollout-undo, target: { kind: deployment, name: api, namespace: ${n}, strategy: newest } }`,
    check: (n, r) => {
      assert.deepEqual([r.report.stages[0]!.outputs.fromRevision, r.report.stages[0]!.outputs.toRevision], [2, 1]);
      const d = get(n, 'deployment/api');
      assert.equal(d.spec.template.spec.containers[0].image, 'api:1');
      assert.equal(d.status.updatedReplicas, 2);
    },
  },
  // A dynamic target (list) and a static one (get).
  delete: {
    setup: (n) => releases(n, 2, { wait: false, keep: 2 }),
    run: (n) => `${pipeline()}
  - { id: oldest, type: delete, target: { kind: replicaSet, name: web, namespace: ${n}, strategy: oldest } }
  - { id: named, type: delete, dependsOn: [oldest], target: ${named(n, 'web-v001')} }`,
    check: (n, r) => {
      assert.deepEqual(r.report.stages.map((s) => s.outputs.deleted), [[`ReplicaSet ${n}/web-v000`], [`ReplicaSet ${n}/web-v001`]]);
      assert.deepEqual(names(n, 'replicasets'), []);
    },
  },
  // A dynamic target (list), then the same version by name (get).
  disable: {
    setup: async (n) => {
      await releases(n, 1);
      await eventually('both pods in the endpoints', () => endpointPods(n).length === 2);
    },
    run: (n) => `${pipeline()}
  - { id: newest, type: disable, target: ${newest(n)} }
  - { id: named, type: disable, dependsOn: [newest], target: ${named(n, 'web-v000')} }`,
    check: (n) => {
      assert.deepEqual(endpointPods(n), []);
      assert.equal(names(n, 'pods').length, 2, 'the pods keep running');
    },
  },
  enable: {
    setup: (n) => releases(n, 1, { traffic: false }),
    run: (n) => `${pipeline()}
  - { id: newest, type: enable, target: ${newest(n)} }
  - { id: named, type: enable, dependsOn: [newest], target: ${named(n, 'web-v000')} }`,
    check: (n) => assert.equal(endpointPods(n).length, 2),
  },
  // The replicas router behind the Service web: a release paused at 50% and promoted by a
  // later stage, then the next release paused at 50% and aborted. The canary of the first is a
  // dynamic target (list), the rest are static (get).
  rollout: {
    setup: (n) => tracks(n, 4),
    run: (n) => {
      const stage = (id: string, action: string, stable: string, canary: string, steps: string, extra = '') => `
  - id: ${id}
    type: rollout
    action: ${action}
    stable: ${stable}
    canary: ${canary}
    router: { type: replicas, service: web }
    scaleDownDelay: 1s
    steps: ${steps}${extra}`;
      const first = ['canary', 'promote'].map((id, i) =>
        stage(id, i ? 'promote' : 'run', named(n, 'web-stable', 'Deployment'), `{ kind: deployment, name: web-canary, namespace: ${n}, strategy: newest }`, '[{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]', i ? after('canary') : ''),
      );
      const next = ['next', 'abort'].map((id, i) =>
        stage(id, i ? 'abort' : 'run', named(n, 'web-canary', 'Deployment'), named(n, 'web-stable', 'Deployment'), '[{ setWeight: 50 }, { pause: {} }]', after(i ? 'next' : 'promote')),
      );
      return pipeline(...first, ...next);
    },
    check: async (n, r) => {
      assert.deepEqual(
        r.report.stages.map((s) => [s.id, s.outputs.phase, s.outputs.weight]),
        [
          ['canary', 'paused', 50],
          ['promote', 'completed', 100],
          ['next', 'paused', 50],
          ['abort', 'aborted', 0],
        ],
      );
      // The abort scales its canary to 0 and its stable back up without waiting for the pods.
      const [stable, canary] = await eventually('web-canary back at 4 ready pods, web-stable at none', () => {
        const [s, c] = [get(n, 'deployment/web-stable'), get(n, 'deployment/web-canary')];
        return c.status.readyReplicas === 4 && !s.status.replicas && [s, c];
      });
      assert.deepEqual([stable.spec.replicas, canary.spec.replicas], [0, 4]);
      assert.deepEqual(
        [state(canary), state(stable)].map((s) => [s.status, s.weight, s.totalReplicas, s.stable, s.canary]),
        [
          ['completed', 100, 4, 'web-stable', 'web-canary'],
          ['aborted', 0, 4, 'web-canary', 'web-stable'],
        ],
      );
      await eventually('the 4 pods of web-canary alone in the endpoints', () => {
        const eps = endpointPods(n);
        return eps.length === 4 && eps.every((p) => p.startsWith('web-canary-'));
      });
    },
  },
};

const without = (rules: Rule[], r: Rule, verb: string): Rule[] =>
  rules.map((x) => (x === r ? { ...x, verbs: x.verbs.filter((v) => v !== verb) } : x)).filter((x) => x.verbs.length);

/** The route object of each CRD router, sending all traffic to web-stable, and the router's fields. */
const ROUTES: Record<Router, { objects: (n: string) => KubeObject[]; router: string; weights: (n: string) => number[] }> = {
  istio: {
    objects: (n) => [
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'web', namespace: n },
        spec: { host: 'web', subsets: ['web-stable', 'web-canary'].map((track) => ({ name: track, labels: { track } })) },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'web', namespace: n },
        spec: { hosts: ['web'], http: [{ name: 'primary', route: [{ destination: { host: 'web', subset: 'web-stable' }, weight: 100 }, { destination: { host: 'web', subset: 'web-canary' }, weight: 0 }] }] },
      },
    ],
    router: '{ type: istio, virtualService: web, stableSubset: web-stable, canarySubset: web-canary, destinationRule: web }',
    weights: (n) => get(n, 'virtualservice/web').spec.http[0].route.map((r: { weight: number }) => r.weight),
  },
  'gateway-api': {
    objects: (n) => [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: n },
        spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web-stable', port: 80, weight: 100 }, { name: 'web-canary', port: 80, weight: 0 }] }] },
      },
    ],
    router: '{ type: gateway-api, httpRoute: web, stableService: web-stable, canaryService: web-canary }',
    weights: (n) => get(n, 'httproute/web').spec.rules[0].backendRefs.map((r: { weight: number }) => r.weight),
  },
  smi: {
    objects: (n) => [
      {
        apiVersion: 'split.smi-spec.io/v1alpha4',
        kind: 'TrafficSplit',
        metadata: { name: 'web', namespace: n },
        spec: { service: 'web', backends: [{ service: 'web-stable', weight: 100 }, { service: 'web-canary', weight: 0 }] },
      },
    ],
    router: '{ type: smi, trafficSplit: web, stableService: web-stable, canaryService: web-canary }',
    weights: (n) => get(n, 'trafficsplit/web').spec.backends.map((b: { weight: number }) => b.weight),
  },
};

/** A rollout through a CRD router, paused at 50% and promoted by a later stage. */
const routed = (router: Router): Scenario => ({
  setup: async (n) => {
    await tracks(n, 2);
    for (const o of ROUTES[router].objects(n)) await admin.apply(o);
  },
  run: (n) =>
    pipeline(
      ...['run', 'promote'].map(
        (action, i) => `
  - id: ${action}
    type: rollout
    action: ${action}
    stable: ${named(n, 'web-stable', 'Deployment')}
    canary: ${named(n, 'web-canary', 'Deployment')}
    router: ${ROUTES[router].router}
    scaleDownDelay: 1s
    steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]${i ? after('run') : ''}`,
      ),
    ),
  check: (n, r) => {
    assert.deepEqual(r.report.stages.map((s) => s.outputs.phase), ['paused', 'completed']);
    assert.deepEqual(ROUTES[router].weights(n), [0, 100]);
    const [stable, canary] = [get(n, 'deployment/web-stable'), get(n, 'deployment/web-canary')];
    assert.deepEqual([stable.spec.replicas, canary.spec.replicas, canary.status.readyReplicas], [0, 2, 2]);
    assert.equal(state(canary).status, 'completed');
  },
});

async function attempt(s: Scenario, rules: Rule[]): Promise<{ n: string; r: Result }> {
  const n = ns();
  await s.setup?.(n);
  const kubeconfig = await serviceAccount(n, rules);
  return { n, r: await runYaml(s.run(n), { kubeconfig }) };
}

/** The scenario succeeds with exactly `rules`, and fails plainly without each verb of `taken` (by default all of them). */
function cases(s: Scenario, rules: Rule[], taken = rules) {
  test(`succeeds with exactly ${rules.map((r) => `${r.resource}: ${r.verbs.join(' ')}`).join('; ')}`, async () => {
    const { n, r } = await attempt(s, rules);
    ok(r);
    await s.check(n, r);
  });
  for (const rule of taken)
    for (const verb of rule.verbs)
      test(`fails plainly without ${verb} on ${rule.resource}`, async (t) => {
        const { n, r } = await attempt(s, without(rules, rule, verb));
        assert.equal(r.report.result, 'failed');
        const error = errorsOf(r).join('\n');
        t.diagnostic(error);
        // rollgate names what it was doing, the kind and the namespace (and the name), then the
        // API server names the user, the verb and the resource.
        const resource = (rule.apiGroup ? `${rule.resource}.${rule.apiGroup}` : rule.resource).replaceAll('.', '\\.');
        const ours = `(apply|get|list|patch|delete) [A-Z]\\w+ (in ${n}|${n}/[\\w.-]+): 403 Forbidden: `;
        const theirs = `${resource}( "[\\w.-]+")? is forbidden: User "system:serviceaccount:${n}:rollgate" cannot ${verb} resource "${rule.resource}" in API group "${rule.apiGroup}" in the namespace "${n}"`;
        assert.match(error, new RegExp(ours + theirs));
        assert.equal(error.split(' 403 Forbidden: ').length, 2, 'the refusal is said once');
        assert.doesNotMatch(error, /\{"kind":"Status"/, 'no raw JSON');
      });
}

for (const stage of Object.keys(RULES) as Stage[]) describe(stage, () => cases(SCENARIOS[stage], RULES[stage]));
// The Deployments' verbs are taken away in the replicas router's cases above.
for (const router of Object.keys(ROUTER_RULES) as Router[]) describe(`rollout with the ${router} router`, () => cases(routed(router), [WORKLOADS, ...ROUTER_RULES[router]], ROUTER_RULES[router]));

describe("the README's Permissions section says the same", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /\n### Permissions\n([\s\S]*?)(?=\n##)/.exec(readme)?.[1] ?? '';
  const key = (apiGroup: string, resource: string) => `${apiGroup || '""'}/${resource}`;
  const ours = (rules: Rule[]) => rules.map((r) => `${key(r.apiGroup, r.resource)}: ${[...r.verbs].sort().join(', ')}`).sort();

  /** The rows of the table whose first column is `first`, by the names in that column. */
  const table = (first: string): Record<string, Rule[]> => {
    const lines = section.split('\n');
    const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
    assert.ok(start >= 0, `the section has a table whose first column is ${first}`);
    const ticks = (cell: string) => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
    const documented: Record<string, Rule[]> = {};
    for (let i = start + 2; lines[i]?.startsWith('| `'); i++) {
      const [names, group, resource, verbs] = lines[i]!.split('|').slice(1, -1).map(ticks);
      for (const name of names!) (documented[name] ??= []).push({ apiGroup: group![0] === '""' ? '' : group![0]!, resource: resource![0]!, verbs: verbs! });
    }
    return documented;
  };
  const same = (documented: Record<string, Rule[]>, rules: Record<string, Rule[]>) => {
    assert.deepEqual(Object.keys(documented).sort(), Object.keys(rules).sort());
    for (const name of Object.keys(rules)) assert.deepEqual(ours(documented[name]!), ours(rules[name]!), name);
  };

  test('the table has exactly the rules each stage was run with', () => same(table('Stage'), RULES));

  test("the router table has exactly the rules each CRD router's rollout was run with, besides its Deployments", () => same(table('Router'), ROUTER_RULES));

  test('the example Role grants what all the stages need together, and nothing else', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const role = parseAllDocuments(yaml)
      .map((d) => d.toJS())
      .find((d) => d?.kind === 'Role') as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] } | undefined;
    assert.ok(role, 'the section has an example Role');
    const union = (rules: Rule[]) => {
      const m = new Map<string, Set<string>>();
      for (const r of rules) for (const v of r.verbs) m.set(key(r.apiGroup, r.resource), (m.get(key(r.apiGroup, r.resource)) ?? new Set()).add(v));
      return [...m].map(([k, verbs]) => `${k}: ${[...verbs].sort().join(', ')}`).sort();
    };
    const granted = role.rules.flatMap((r) => r.apiGroups.flatMap((apiGroup) => r.resources.map((resource) => ({ apiGroup, resource, verbs: r.verbs }))));
    assert.deepEqual(union(granted), union(Object.values(RULES).flat()));
  });
});
