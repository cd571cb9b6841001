// Runs a workflow file with act in host mode, as GitHub would run it, against the local
// environment. Remote actions cannot be fetched offline: actions/checkout is replaced by
// a local stand-in that copies this repository into the job's workspace
// (test/fixtures/act/checkout); every other step is the example's own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './runner.ts';
import type { TestEnv } from './testenv.ts';

export interface ActRun {
  status: number | null;
  output: string;
  /** Job id → succeeded / failed / skipped, from act's closing lines. */
  jobs: Record<string, string>;
}

export function act(env: TestEnv, workflow: string, opts: { event?: string; inputs?: Record<string, string>; vars?: Record<string, string>; payload?: unknown; env?: Record<string, string>; job?: string } = {}): ActRun {
  const args = ['-W', workflow, opts.event ?? 'workflow_dispatch', '-P', 'ubuntu-latest=-self-hosted', '--local-repository', `actions/checkout@v5=${path.join(ROOT, 'test/fixtures/act/checkout')}`];
  for (const [k, v] of Object.entries(opts.inputs ?? {})) args.push('--input', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('--var', `${k}=${v}`);
  const all = { ROLLGATE_REPO: ROOT, KUBECONFIG: env.KUBECONFIG, PROMETHEUS_URL: env.PROMETHEUS_URL, ...opts.env };
  for (const [k, v] of Object.entries(all)) args.push('--env', `${k}=${v}`);
  if (opts.payload) {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'act-event-')), 'event.json');
    writeFileSync(file, JSON.stringify(opts.payload));
    args.push('-e', file);
  }
  if (opts.job) args.push('-j', opts.job);
  const r = spawnSync(env.ROLLGATE_ACT, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
    // The action runs on the Node on PATH: Node 24, as on GitHub's runners.
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
  });
  const output = `${r.stdout}${r.stderr}`;
  const jobs: Record<string, string> = {};
  for (const m of output.matchAll(/\[[^/\]]+\/([^\]]+)\] 🏁 {2}Job (succeeded|failed)/g)) jobs[m[1]!.trim()] = m[2]!;
  return { status: r.status, output, jobs };
}
