// Workloads that several suites start from: applied with kubectl through the shared API server.
import assert from 'node:assert/strict';
import { kubectl, type TestEnv } from './testenv.ts';

export function applyYaml(env: TestEnv, yaml: string): void {
  const r = kubectl(env, ['apply', '-f', '-'], yaml);
  assert.equal(r.status, 0, r.stderr);
}

/**
 * The two tracks of app `web` as Deployments web-stable and web-canary (a canary of
 * `undefined` replicas is left out), the Service `web` selecting both when asked for, and
 * the stable rolled out before the test goes on.
 */
export function stableAndCanary(env: TestEnv, namespace: string, o: { stable: number; canary?: number; service?: boolean; stableImage?: string }): void {
  const tracks: [string, number, string][] = [['stable', o.stable, o.stableImage ?? 'web:stable']];
  if (o.canary !== undefined) tracks.push(['canary', o.canary, 'web:canary']);
  const docs = tracks.map(
    ([track, replicas, image]) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web-${track}, namespace: ${namespace} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web, track: ${track} } }
  template:
    metadata: { labels: { app: web, track: ${track} } }
    spec: { containers: [{ name: web, image: "${image}" }] }
`,
  );
  if (o.service) docs.push(`apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: ${namespace} }\nspec: { selector: { app: web }, ports: [{ port: 80 }] }\n`);
  applyYaml(env, docs.join('---\n'));
  kubectl(env, ['-n', namespace, 'rollout', 'status', 'deployment/web-stable', '--timeout=60s']);
}
