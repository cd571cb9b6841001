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
import { createKubeClient } from '../../src/kube/client.ts';

interface Rule {
  apiGroup: string;
  resource: string;
  verbs: string[];
}

type Stage = 'deploy' | 'patch' | 'scale' | 'rollout-undo' | 'delete' | 'disable' | 'enable';

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
};

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
const named = (n: string, name: string) => `{ kind: ReplicaSet, name: ${name}, namespace: ${n} }`;

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
};

const without = (rules: Rule[], r: Rule, verb: string): Rule[] =>
  rules.map((x) => (x === r ? { ...x, verbs: x.verbs.filter((v) => v !== verb) } : x)).filter((x) => x.verbs.length);

async function attempt(stage: Stage, rules: Rule[]): Promise<{ n: string; r: Result }> {
  const n = ns();
  const s = SCENARIOS[stage];
  await s.setup?.(n);
  const kubeconfig = await serviceAccount(n, rules);
  return { n, r: await runYaml(s.run(n), { kubeconfig }) };
}

for (const stage of Object.keys(RULES) as Stage[]) {
  describe(stage, () => {
    test(`succeeds with exactly ${RULES[stage].map((r) => `${r.resource}: ${r.verbs.join(' ')}`).join('; ')}`, async () => {
      const { n, r } = await attempt(stage, RULES[stage]);
      ok(r);
      await SCENARIOS[stage].check(n, r);
    });
    for (const rule of RULES[stage])
      for (const verb of rule.verbs)
        test(`fails plainly without ${verb} on ${rule.resource}`, async (t) => {
          const { n, r } = await attempt(stage, without(RULES[stage], rule, verb));
          assert.equal(r.report.result, 'failed');
          const error = errorsOf(r).join('\n');
          t.diagnostic(error);
          // rollgate names what it was doing, the kind and the namespace (and the name), then the
          // API server names the user, the verb and the resource.
          const resource = (rule.apiGroup ? `${rule.resource}.${rule.apiGroup}` : rule.resource).replaceAll('.', '\\.');
          const ours = `(apply|get|list|patch|delete) [A-Z]\\w+ (in ${n}|${n}/[\\w.-]+): 403 Forbidden: `;
          const theirs = `${resource}( "[\\w.-]+")? is forbidden: User "system:serviceaccount:${n}:rollgate" cannot ${verb} resource "${rule.resource}" in API group "${rule.apiGroup}" in the namespace "${n}"`;
          assert.match(error, new RegExp(ours + theirs));
          assert.doesNotMatch(error, /\{"kind":"Status"/, 'no raw JSON');
        });
  });
}

describe("the README's Permissions section says the same", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /\n### Permissions\n([\s\S]*?)(?=\n##)/.exec(readme)?.[1] ?? '';
  const key = (apiGroup: string, resource: string) => `${apiGroup || '""'}/${resource}`;
  const ours = (rules: Rule[]) => rules.map((r) => `${key(r.apiGroup, r.resource)}: ${[...r.verbs].sort().join(', ')}`).sort();

  test('the table has exactly the rules each stage was run with', () => {
    const ticks = (cell: string) => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
    const documented: Record<string, Rule[]> = {};
    for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
      const [stages, group, resource, verbs] = line.split('|').slice(1, -1).map(ticks);
      for (const stage of stages!) (documented[stage] ??= []).push({ apiGroup: group![0] === '""' ? '' : group![0]!, resource: resource![0]!, verbs: verbs! });
    }
    assert.deepEqual(Object.keys(documented).sort(), Object.keys(RULES).sort());
    for (const stage of Object.keys(RULES) as Stage[]) assert.deepEqual(ours(documented[stage]!), ours(RULES[stage]), stage);
  });

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
