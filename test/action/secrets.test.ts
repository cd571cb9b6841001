// Secrets never leave rollgate: a full run with known secret strings in every place a
// secret can come from (a webhook header read from the environment, a header marked
// secret, a metric store token, the kubeconfig input, the GitHub token), against servers
// that echo what they receive; stdout, stderr, the job summary, every output and the
// report are scanned for them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStep } from '../helpers/runner.ts';
import { startServer, json } from '../helpers/http-server.ts';

const servers: { close(): Promise<void> }[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const SECRETS = {
  header: 'hdr-secret-7f3a9c1e',
  marked: 'marked-secret-2b8d4f6a',
  prom: 'prom-token-9e1c5a7b',
  kubeToken: 'kube-token-4d2f8b6c',
  github: 'ghs_githubtoken0123456789',
};

test('no secret appears in logs, summary, outputs or reports, even when servers echo them', async () => {
  // A webhook target and a "Prometheus" that both echo the request headers back.
  const echo = await startServer((req, res) => json(res, req.url!.startsWith('/api/v1/status') ? 401 : 500, { echo: req.headers }));
  servers.push(echo);
  const ws = mkdtempSync(path.join(os.tmpdir(), 'ws-'));
  writeFileSync(
    path.join(ws, 'p.yml'),
    `name: secrets
stages:
  - id: hook
    type: webhook
    url: ${echo.url}/hook
    retries: 0
    onFailure: continue
    headers:
      Authorization: { fromEnv: HOOK_TOKEN }
      X-Key: { value: ${SECRETS.marked}, secret: true }
  - id: analysis
    type: canary-analysis
    onFailure: continue
    metricStore: { url: "${echo.url}", bearerToken: { fromEnv: PROM_TOKEN } }
    lifetime: 1s
    baseline: a
    canary: b
    canaryConfig: { name: c, groups: { g: 100 }, metrics: [{ name: m, groups: [g], query: 'up{scope="\${scope}"}' }] }
  - id: kube
    type: delete
    onFailure: continue
    target: { kind: ConfigMap, name: x, namespace: default }
`,
  );
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${echo.url}" } }]
users: [{ name: u, user: { token: ${SECRETS.kubeToken} } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;
  const r = await runStep({
    inputs: { pipeline: 'p.yml', kubeconfig, 'github-token': SECRETS.github },
    workspace: ws,
    env: { HOOK_TOKEN: SECRETS.header, PROM_TOKEN: SECRETS.prom },
  });
  assert.equal(r.outputs.result, 'succeeded', r.stdout);
  // Each stage really used its secret (the servers saw them), and really failed on the echo.
  const seen = JSON.stringify(echo.requests.map((q) => q.headers));
  for (const s of [SECRETS.header, SECRETS.marked, SECRETS.prom, SECRETS.kubeToken]) assert.ok(seen.includes(s), `the server never received ${s}`);
  const reportDir = path.dirname(r.outputs.report!);
  const reports = readdirSync(reportDir).map((f) => readFileSync(path.join(reportDir, f), 'utf8'));
  // The runner protocol's own ::add-mask:: lines carry the values to GitHub, which never shows them.
  const stdout = r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
  const everything = [stdout, r.stderr, r.summary, JSON.stringify(r.outputs), ...reports].join('\n');
  for (const [name, s] of Object.entries(SECRETS)) assert.ok(!everything.includes(s), `${name} leaked`);
  assert.match(r.stdout, /::add-mask::/);
  const hookError = JSON.parse(readFileSync(r.outputs.report!, 'utf8')).stages.find((s: { id: string }) => s.id === 'hook').error as string;
  assert.ok(hookError.includes('"authorization":"***"'), `the echoed header shows up masked, not dropped: ${hookError}`);
});
