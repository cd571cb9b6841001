// Runs the rendering tools (helm, kubectl, kustomize) as child processes: no shell,
// output bounded, stopped when the stage's signal aborts, and every failure turned
// into one sentence that says what to do.
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { StageError } from '../pipeline/types.ts';

/** Rendered manifests larger than this are refused rather than held in memory. */
export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** How much of a tool's error output goes into the stage's error message. */
export const MAX_ERROR_CHARS = 2000;

/** A tool found on this machine, and how it was found (for messages). */
export interface Tool {
  /** What the user knows it as: helm, kubectl, kustomize. */
  name: string;
  file: string;
  /** E.g. "ROLLGATE_HELM" or "PATH". */
  foundVia: string;
}

/** The first executable file called `name` in PATH, as a shell would find it. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  maxOutputBytes?: number;
  /** How to install the tool, for the "not found" message. */
  installHint: string;
}

/**
 * Runs `tool args…` and returns its standard output. A non-zero exit becomes a StageError
 * carrying the tool's own error text (bounded); cancellation rethrows the signal's reason.
 */
export function runTool(tool: Tool, args: string[], opts: RunOptions): Promise<string> {
  const max = opts.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  const command = `${tool.name} ${args[0] ?? ''}`.trim();
  return new Promise((resolve, reject) => {
    execFile(
      tool.file,
      args,
      // maxBuffer bounds stdout and stderr each; the child is killed when either passes it.
      { cwd: opts.cwd, env: opts.env, signal: opts.signal, maxBuffer: max, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const e = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        if (opts.signal.aborted) return reject(opts.signal.reason ?? e);
        if (e.code === 'ENOENT')
          return reject(new StageError(`${tool.name} was not found at ${tool.file} (from ${tool.foundVia}). ${opts.installHint}`));
        if (e.code === 'EACCES')
          return reject(new StageError(`${tool.file} (${tool.name}, from ${tool.foundVia}) is not executable; check its permissions (chmod +x) or point ${tool.foundVia === 'PATH' ? 'PATH' : tool.foundVia} at a working ${tool.name}`));
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          return reject(new StageError(`${command} wrote more than ${Math.round(max / 1024 / 1024)} MiB of output and was stopped; render less (for example, split the chart) or check that it is not looping`));
        const how = typeof e.code === 'number' ? `exit code ${e.code}` : e.signal ? `signal ${e.signal}` : e.message;
        reject(new StageError(`${command} failed (${how}): ${toolMessage(stderr || stdout)}`));
      },
    );
  });
}

/** A tool's error text as one bounded paragraph: its own words, the head kept (that is where "Error:" is). */
export function toolMessage(text: string): string {
  const t = text.trim().replace(/\r\n/g, '\n');
  if (!t) return '(it printed nothing)';
  if (t.length <= MAX_ERROR_CHARS) return t;
  return `${t.slice(0, MAX_ERROR_CHARS)}… (${t.length - MAX_ERROR_CHARS} more characters)`;
}
