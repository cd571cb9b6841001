// `rollgate`: the same engine as the action, from a terminal.
//   rollgate run <file> [--stage ID]... [--input NAME=VALUE]... [--artifacts JSON|@file] [--dry-run] [--report-dir DIR]
//   rollgate validate <file>
// Exit codes: 0 succeeded, 1 a stage or the pipeline failed, 2 invalid configuration or usage.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { execute, loadFromSettings, type RunSettings } from '../runner.ts';
import { Secrets } from '../log/secrets.ts';
import { ConfigError } from '../config/errors.ts';
import { createHttpClient } from '../http/client.ts';
import { errorMessage, symbol } from '../pipeline/engine.ts';
import { formatDuration } from '../config/duration.ts';
import { PipelineResult } from '../pipeline/types.ts';
import { parseArtifactList } from '../pipeline/artifacts.ts';
import type { LogSink } from '../log/logger.ts';

export const ExitCode = { Succeeded: 0, Failed: 1, Invalid: 2 } as const;

const USAGE = `Usage:
  rollgate run <pipeline.yml> [options]     run a pipeline
  rollgate validate <pipeline.yml>          check a pipeline file and exit
  rollgate canary [options]                 run a canary analysis from the terminal (rollgate canary --help)
  rollgate judge [options]                  judge recorded series offline (rollgate judge --help)
  rollgate metrics-store check [options]    check a Prometheus endpoint answers (rollgate metrics-store --help)

Options for run:
  --stage ID             run only this stage (repeatable); others count as done elsewhere
  --input NAME=VALUE     a pipeline input (repeatable)
  --artifacts JSON|@FILE artifacts from an earlier run (the 'artifacts' output)
  --dry-run              change nothing; show what would happen
  --report-dir DIR       where the JSON report goes (default: a temporary directory)
  --kubeconfig FILE      kubeconfig for the Kubernetes stages (default: $KUBECONFIG, ~/.kube/config)
  --context NAME         kubeconfig context (default: its current context)

Exit codes: 0 succeeded, 1 a stage or the pipeline failed, 2 invalid configuration or usage.`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  color: boolean;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
};

export async function main(argv: string[], io: Io = defaultIo, signal?: AbortSignal): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'judge') return (await import('./judge.ts')).judgeCommand(rest, io);
  if (first === 'canary') return (await import('./canary.ts')).canaryCommand(rest, io, signal);
  if (first === 'metrics-store') return (await import('./metrics-store.ts')).metricsStoreCommand(rest, io);
  return runCommand(argv, io, signal);
}

async function runCommand(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stage: { type: 'string', multiple: true },
        input: { type: 'string', multiple: true },
        artifacts: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'report-dir': { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`rollgate: ${errorMessage(e)}\n\n${USAGE}`);
    return ExitCode.Invalid;
  }
  const { values, positionals } = parsed;
  const [command, file, ...extra] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? ExitCode.Succeeded : ExitCode.Invalid;
  }
  if (!['run', 'validate'].includes(command) || !file || extra.length) {
    io.err(`rollgate: ${!['run', 'validate'].includes(command) ? `unknown command "${command}"` : !file ? 'missing the pipeline file' : `unexpected argument "${extra[0]}"`}\n\n${USAGE}`);
    return ExitCode.Invalid;
  }

  const paint = (code: string, s: string) => (io.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const workspace = process.cwd();
  const settings: Omit<RunSettings, 'tempDir'> = {
    pipelineFile: path.relative(workspace, path.resolve(file)) || file,
    only: values.stage,
    inputs: {},
    artifacts: [],
    dryRun: Boolean(values['dry-run']),
    workspace,
    reportDir: path.resolve(values['report-dir'] ?? path.join(os.tmpdir(), 'rollgate')),
    kube: { kubeconfigPath: values.kubeconfig && path.resolve(values.kubeconfig), context: values.context },
  };
  // A pipeline outside the current directory is fine from a terminal: make its folder the workspace.
  if (settings.pipelineFile!.startsWith('..')) {
    settings.workspace = path.dirname(path.resolve(file));
    settings.pipelineFile = path.basename(file);
  }

  try {
    for (const kv of values.input ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new ConfigError([{ source: 'command line', path: ['--input'], message: `has ${JSON.stringify(kv)}; expected NAME=VALUE` }]);
      settings.inputs[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    if (values.artifacts) {
      const text = values.artifacts.startsWith('@') ? readFileSync(values.artifacts.slice(1), 'utf8') : values.artifacts;
      const list = parseArtifactList(text, '--artifacts');
      if (!Array.isArray(list)) throw new ConfigError([{ source: 'command line', path: ['--artifacts'], message: list.error }]);
      settings.artifacts = list;
    }

    if (command === 'validate') {
      const p = await loadFromSettings({ ...settings, tempDir: '' });
      io.out(`${paint('32', '✔')} ${settings.pipelineFile} is valid: pipeline "${p.name}" with ${p.stages.length} stage(s)`);
      return ExitCode.Succeeded;
    }

    return await runSettings(settings, io, signal);
  } catch (e) {
    return reportError(e, io);
  }
}

/** Invalid configuration exits 2 with every problem listed; anything else exits 1. */
export function reportError(e: unknown, io: Io): number {
  if (e instanceof ConfigError) {
    io.err(`${io.color ? '\x1b[31mInvalid configuration:\x1b[0m' : 'Invalid configuration:'}\n${e.message}`);
    return ExitCode.Invalid;
  }
  io.err(`rollgate: ${errorMessage(e)}`);
  return ExitCode.Failed;
}

/** Parses a command's options; a usage error prints the usage and exits 2. */
export function parseOptions(argv: string[], options: NonNullable<ParseArgsConfig['options']>, usage: string, io: Io): { values: Record<string, unknown>; positionals: string[] } | undefined {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`rollgate: ${errorMessage(e)}\n\n${usage}`);
    return undefined;
  }
}

/** Runs a pipeline (or one inline stage) with terminal output; returns the exit code. */
export async function runSettings(settings: Omit<RunSettings, 'tempDir'>, io: Io, signal?: AbortSignal): Promise<number> {
  const paint = (code: string, s: string) => (io.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const secrets = new Secrets();
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-'));
  const sink: LogSink = {
    line: (t, level) => {
      if (level === 'debug' && !process.env.ROLLGATE_DEBUG) return;
      io.out(`  ${level === 'warn' ? paint('33', t) : t}`);
    },
    startGroup: (t) => io.out(paint('1', `▸ ${t}`)),
    endGroup: () => undefined,
  };
  const controller = new AbortController();
  const stop = (why = 'interrupted') => controller.abort(new Error(why));
  signal?.addEventListener('abort', () => stop());
  const onSig = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(ExitCode.Failed);
    io.err('Stopping running stages (press Ctrl-C again to quit at once)...');
    stop(`received ${sig}`);
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    const { report, reportPath } = await execute({ ...settings, tempDir }, { sink, secrets, signal: controller.signal, env: process.env, http: createHttpClient() });
    io.out('');
    for (const st of report.stages) {
      const line = `${symbol(st.status)} ${st.id.padEnd(20)} ${st.status.padEnd(16)} ${st.durationMs === undefined ? '' : formatDuration(st.durationMs)}`;
      io.out(st.status === 'succeeded' ? paint('32', line) : st.status === 'failed' ? paint('31', line) : line);
    }
    const ok = report.result === PipelineResult.Succeeded;
    io.out(`\n${paint(ok ? '32' : '31', `Pipeline ${report.pipeline} ${report.result}`)} in ${formatDuration(report.durationMs)}${report.dryRun ? ' (dry run)' : ''}`);
    io.out(`Report: ${reportPath}`);
    for (const st of report.stages.filter((x) => x.error)) io.err(secrets.mask(`${settings.pipelineFile ?? settings.inlineStage?.source}${st.line ? `:${st.line}` : ''}: stage ${st.id}: ${st.error}`));
    return ok ? ExitCode.Succeeded : ExitCode.Failed;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    rmSync(tempDir, { recursive: true, force: true });
  }
}
