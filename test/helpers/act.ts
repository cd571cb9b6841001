// Runs a workflow file with act in host mode, as GitHub would run it, against the local
// environment. Remote actions cannot be fetched offline: actions/checkout is replaced by
// a local stand-in that copies this repository into the job's workspace
// (test/fixtures/act/checkout); every other step is the example's own.
import { spawn } from 'node:child_process';
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

export interface ActOptions {
  event?: string;
  inputs?: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  payload?: unknown;
  env?: Record<string, string>;
  job?: string;
}

/**
 * Runs act without blocking this process, so servers of the test itself (the GitHub fake)
 * keep answering the workflow's requests.
 */
export function act(env: TestEnv, workflow: string, opts: ActOptions = {}): Promise<ActRun> {
  const args = ['-W', workflow, opts.event ?? 'workflow_dispatch', '-P', 'ubuntu-latest=-self-hosted', '--local-repository', `actions/checkout@v5=${path.join(ROOT, 'test/fixtures/act/checkout')}`];
  for (const [k, v] of Object.entries(opts.inputs ?? {})) args.push('--input', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('--var', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.secrets ?? {})) args.push('-s', `${k}=${v}`);
  const all = { ROLLGATE_REPO: ROOT, KUBECONFIG: env.KUBECONFIG, PROMETHEUS_URL: env.PROMETHEUS_URL, ...opts.env };
  for (const [k, v] of Object.entries(all)) args.push('--env', `${k}=${v}`);
  if (opts.payload) {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'act-event-')), 'event.json');
    writeFileSync(file, JSON.stringify(opts.payload));
    args.push('-e', file);
  }
  if (opts.job) args.push('-j', opts.job);
  return new Promise((resolve, reject) => {
    const child = spawn(env.ROLLGATE_ACT, args, {
      cwd: ROOT,
      // The action runs on the Node on PATH: Node 24, as on GitHub's runners.
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const jobs: Record<string, string> = {};
      for (const m of output.matchAll(/\[[^/\]]+\/([^\]]+)\] 🏁 {2}Job (succeeded|failed)/g)) jobs[m[1]!.trim()] = m[2]!;
      resolve({ status, output, jobs });
    });
  });
}
