// Runs the bundled action exactly as the Actions runner does: INPUT_* variables, the
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files, then the post step with
// the saved state as STATE_* variables.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const ACTION = path.join(ROOT, 'dist/index.js');

export interface StepResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  state: Record<string, string>;
  post?: { exitCode: number | null; stdout: string };
  runnerTemp: string;
}

/** Parses the runner's file-command format: `name=value` or `name<<DELIM\n...\nDELIM`. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv, cwd: string, onSpawn?: (pid: number) => void) {
  return new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (child.pid) onSpawn?.(child.pid);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

export async function runStep(opts: {
  inputs: Record<string, string>;
  workspace: string;
  env?: Record<string, string>;
  post?: boolean;
  onSpawn?: (pid: number) => void;
}): Promise<StepResult> {
  const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'));
  const files = { output: path.join(runnerTemp, 'output'), summary: path.join(runnerTemp, 'summary'), state: path.join(runnerTemp, 'state') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: opts.workspace,
    RUNNER_TEMP: runnerTemp,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    ...opts.env,
  };
  const env: NodeJS.ProcessEnv = { ...base };
  // The runner upper-cases input names and keeps hyphens.
  for (const [k, v] of Object.entries(opts.inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const main = await spawnNode([ACTION], env, opts.workspace, opts.onSpawn);
  const state = parseFileCommands(readFileSync(files.state, 'utf8'));
  const result: StepResult = {
    ...main,
    outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
    summary: existsSync(files.summary) ? readFileSync(files.summary, 'utf8') : '',
    state,
    runnerTemp,
  };
  if (opts.post !== false) {
    const postEnv: NodeJS.ProcessEnv = { ...base };
    for (const [k, v] of Object.entries(state)) postEnv[`STATE_${k}`] = v;
    const post = await spawnNode([ACTION], postEnv, opts.workspace);
    result.post = { exitCode: post.exitCode, stdout: post.stdout };
  }
  return result;
}
