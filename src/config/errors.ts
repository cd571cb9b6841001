import type { Path } from './schema.ts';

export interface Problem {
  /** The file (or "action input 'stage'") the problem is in. */
  source: string;
  path: Path;
  line?: number;
  column?: number;
  message: string;
}

/** Invalid configuration: the CLI exits 2 on it, and each problem names its place. */
export class ConfigError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_-][\w-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out || '(top level)';
}

export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.source}:${p.line}${p.column ? `:${p.column}` : ''}` : p.source;
  return `${where}: ${formatPath(p.path)} ${p.message}`;
}
