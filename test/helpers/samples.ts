// Sample services of a test's own, scraped by the environment's Prometheus (through
// its file-SD targets directory) and loaded by a load generator of their own, so tests
// that change error rates or latency do not disturb each other.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './runner.ts';
import { eventually, freePort, promQuery, type TestEnv } from './testenv.ts';

/** The share of a sample service's requests that failed, as a canary-config query template. */
export const ERROR_RATIO_QUERY = 'sum(rate(http_requests_total{scope="${scope}",status="500"}[3s])) / sum(rate(http_requests_total{scope="${scope}"}[3s]))';

/** A one-metric canary config on the error ratio, as one line of YAML (JSON) for any indentation. */
export const ERROR_RATIO_CONFIG = JSON.stringify({
  name: 'errors',
  groups: { errors: 100 },
  metrics: [{ name: 'error-ratio', groups: ['errors'], failOn: 'increase', nanStrategy: 'replace', query: ERROR_RATIO_QUERY }],
});

export interface Sample {
  scope: string;
  url: string;
  set(config: { errorRate?: number; latencyMs?: number; jitterMs?: number }): Promise<void>;
}

export class SampleFleet {
  private readonly children: ChildProcess[] = [];
  private readonly files: string[] = [];
  private readonly env: TestEnv;
  constructor(env: TestEnv) {
    this.env = env;
  }

  async start(scope: string, opts: { errorRate?: number; latencyMs?: number; version?: string; location?: string; rps?: number; targetsDir?: string } = {}): Promise<Sample> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'scripts/testenv/sample-service.mjs'),
        '--port', String(port), '--scope', scope, '--version', opts.version ?? scope, '--location', opts.location ?? 'local',
        '--error-rate', String(opts.errorRate ?? 0), '--latency-ms', String(opts.latencyMs ?? 20),
      ],
      { stdio: 'ignore' },
    );
    this.children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await eventually(`sample service ${scope}`, () => fetch(`${url}/healthz`).then((r) => r.ok, () => false), 10_000);
    const load = spawn(process.execPath, [path.join(ROOT, 'scripts/testenv/loadgen.mjs'), '--rps', String(opts.rps ?? 40), '--target', `${url}/`], { stdio: 'ignore' });
    this.children.push(load);
    const file = path.join(opts.targetsDir ?? this.env.ROLLGATE_PROMETHEUS_TARGETS_DIR, `${scope}.json`);
    writeFileSync(file, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { fleet: 'test' } }]));
    this.files.push(file);
    return {
      scope,
      url,
      set: async (config) => {
        const r = await fetch(`${url}/admin`, { method: 'POST', body: JSON.stringify(config) });
        if (!r.ok) throw new Error(`admin: ${r.status}`);
      },
    };
  }

  /** Waits until Prometheus has a request rate for each scope. */
  async scraped(scopes: string[], timeoutMs = 30_000): Promise<void> {
    await eventually(
      `Prometheus samples for ${scopes.join(', ')}`,
      async () => {
        const r = await promQuery(this.env, `count by (scope) (rate(http_requests_total{scope=~"${scopes.join('|')}"}[3s]) > 0)`);
        return r.length >= scopes.length;
      },
      timeoutMs,
    );
  }

  stop(): void {
    for (const c of this.children) c.kill('SIGTERM');
    for (const f of this.files) rmSync(f, { force: true });
  }
}
