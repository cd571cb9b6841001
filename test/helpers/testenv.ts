// The local environment (scripts/testenv/env.mjs), as tests use it. `npm test` brings it
// up before the tests run; a test that needs it and finds it down fails, never skips.
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after } from 'node:test';
import path from 'node:path';
import { ROOT } from './runner.ts';

export interface TestEnv {
  KUBECONFIG: string;
  PROMETHEUS_URL: string;
  ROLLGATE_SAMPLE_BASELINE_URL: string;
  ROLLGATE_SAMPLE_CANARY_URL: string;
  ROLLGATE_PROMETHEUS_TARGETS_DIR: string;
  ROLLGATE_ENV_DIR: string;
  ROLLGATE_KUBECTL: string;
  ROLLGATE_HELM: string;
  ROLLGATE_ACT: string;
  ROLLGATE_ACTIONLINT: string;
}

export function testEnv(): TestEnv {
  const dir = process.env.ROLLGATE_ENV_DIR ?? path.join(ROOT, '.testenv');
  const file = path.join(dir, 'env.json');
  if (!existsSync(file)) throw new Error(`the local environment is not up (${file} is missing); run npm run env:up`);
  return JSON.parse(readFileSync(file, 'utf8')) as TestEnv;
}

export function kubectl(env: TestEnv, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(env.ROLLGATE_KUBECTL, args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, encoding: 'utf8', input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A namespace of the test's own, deleted afterwards by the caller. */
export function makeNamespace(env: TestEnv, prefix: string): string {
  const name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`.slice(0, 63);
  const r = kubectl(env, ['create', 'namespace', name]);
  if (r.status !== 0) throw new Error(`kubectl create namespace ${name}: ${r.stderr}`);
  return name;
}

export async function promQuery(env: TestEnv, query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`Prometheus query failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what} did not happen within ${timeoutMs / 1000}s${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Namespaces for one test file: `ns()` makes one, all are deleted when the file's tests end. */
export function scratchNamespaces(env: TestEnv, prefix: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const n of made) kubectl(env, ['delete', 'namespace', n, '--wait=false']);
  });
  return () => {
    const n = makeNamespace(env, prefix);
    made.push(n);
    return n;
  };
}

/** An object or list from the cluster, as kubectl prints it in JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function getJson(env: TestEnv, namespace: string, what: string): any {
  return JSON.parse(kubectl(env, ['-n', namespace, 'get', what, '-o', 'json']).stdout);
}

/** A loopback port free right now (for a server a test starts, or one nothing listens on). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** SIGKILL, as if the process died, and wait until it has; nothing when it already ended. */
export async function killProcess(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}
