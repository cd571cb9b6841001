// Apply 50 manifests of mixed kinds and wait until stable: rollgate's deploy stage (the
// bundled CLI) vs `kubectl apply -f` followed by `kubectl rollout status` for each
// workload, on the local environment's cluster. Each round uses fresh namespaces;
// the two tools alternate within a round.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, machine, record } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const envFile = path.resolve('.testenv/env.json');
const env = JSON.parse(readFileSync(envFile, 'utf8'));
const KUBECTL = env.ROLLGATE_KUBECTL;
const procEnv = { ...process.env, KUBECONFIG: env.KUBECONFIG };
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));

function manifests() {
  const docs = [];
  for (let i = 0; i < 15; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg-${i} }\ndata: { key: "value-${i}" }`);
  for (let i = 0; i < 10; i++) docs.push(`apiVersion: v1\nkind: Secret\nmetadata: { name: sec-${i} }\nstringData: { key: "s-${i}" }`);
  for (let i = 0; i < 10; i++) docs.push(`apiVersion: v1\nkind: Service\nmetadata: { name: svc-${i} }\nspec: { selector: { app: app-${i} }, ports: [{ port: 80 }] }`);
  for (let i = 0; i < 10; i++)
    docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app-${i} }\nspec:\n  replicas: 2\n  selector: { matchLabels: { app: app-${i} } }\n  template:\n    metadata: { labels: { app: app-${i} } }\n    spec: { containers: [{ name: c, image: "nginx:1" }] }`);
  for (let i = 0; i < 5; i++)
    docs.push(`apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: db-${i} }\nspec:\n  serviceName: db-${i}\n  replicas: 1\n  selector: { matchLabels: { app: db-${i} } }\n  template:\n    metadata: { labels: { app: db-${i} } }\n    spec: { containers: [{ name: c, image: "postgres:16" }] }`);
  return docs.join('\n---\n') + '\n';
}
const file = path.join(dir, 'manifests.yaml');
writeFileSync(file, manifests());
const workloads = [...Array.from({ length: 10 }, (_, i) => `deployment/app-${i}`), ...Array.from({ length: 5 }, (_, i) => `statefulset/db-${i}`)];

const kubectl = (args) => {
  const r = spawnSync(KUBECTL, args, { env: procEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r;
};
const timed = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

const results = { rollgate: [], kubectl: [] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ['kubectl', 'rollgate'] : ['rollgate', 'kubectl'];
  for (const tool of order) {
    const ns = `bench-${tool}-${process.pid}-${round}`;
    kubectl(['create', 'namespace', ns]);
    const ms = timed(() => {
      if (tool === 'kubectl') {
        kubectl(['-n', ns, 'apply', '-f', file]);
        for (const w of workloads) kubectl(['-n', ns, 'rollout', 'status', w, '--timeout=120s']);
      } else {
        const pipeline = path.join(dir, `${ns}.yml`);
        writeFileSync(pipeline, `name: bench\nstages:\n  - { id: deploy, type: deploy, namespace: ${ns}, files: [manifests.yaml] }\n`);
        const r = spawnSync(process.execPath, [path.resolve('dist/cli/index.js'), 'run', path.basename(pipeline)], { cwd: dir, env: procEnv, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`rollgate failed: ${r.stdout}${r.stderr}`);
      }
    });
    results[tool].push(ms);
    // Let the namespace's deletion finish, so its garbage collection does not slow the next run.
    kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=120s']);
  }
}
const r = median(results.rollgate);
const k = median(results.kubectl);
record(
  'deploy',
  `## Deploy: 50 manifests until stable, rollgate vs kubectl

Method: 15 ConfigMaps, 10 Secrets, 10 Services, 10 Deployments (2 replicas) and 5 StatefulSets, into a fresh namespace each time, on the local environment's cluster (Kubernetes ${JSON.parse(kubectl(['version', '-o', 'json']).stdout).serverVersion.gitVersion}, kwok nodes). rollgate: the bundled CLI running one \`deploy\` stage (server-side apply in dependency order, versioned ConfigMaps/Secrets, wait until stable), whole process. kubectl: \`kubectl apply -f\` then \`kubectl rollout status\` for each of the 15 workloads, as a workflow step would. ${ROUNDS} rounds, the tools alternating first; medians. ${machine()}.

| Tool | Median | All rounds (s) |
| --- | --- | --- |
| rollgate | ${(r / 1000).toFixed(2)} s | ${results.rollgate.map((x) => (x / 1000).toFixed(2)).join(', ')} |
| kubectl | ${(k / 1000).toFixed(2)} s | ${results.kubectl.map((x) => (x / 1000).toFixed(2)).join(', ')} |

rollgate takes **${(r / k).toFixed(2)}×** kubectl's time (goal: at most 0.5×).`,
);
console.log({ rollgate: r, kubectl: k, ratio: r / k });
