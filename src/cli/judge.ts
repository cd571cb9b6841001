// `rollgate judge`: the judge on recorded series, offline: the same code as the stage.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.ts';
import { loadCanaryConfig } from '../canary/config.ts';
import { judge } from '../canary/judge/index.ts';
import { DEFAULT_JUDGE_SETTINGS, type MetricSeries } from '../canary/types.ts';
import { isPlainObject } from '../config/schema.ts';
import { ExitCode, parseOptions, reportError, type Io } from './main.ts';

export const JUDGE_USAGE = `Usage: rollgate judge --config canary.yml --baseline baseline.json --canary canary.json [--marginal 50] [--pass 75] [--seed 0] [--json]

Each data file maps metric names (as in the canary config) to their points, in one of three forms:
  { "error-ratio": [0.01, 0.02, ...] }                                  a list of numbers (null = NaN)
  { "error-ratio": [{ "labels": {...}, "values": [0.01, ...] }, ...] }  several series, paired by labels
  { "error-ratio": <a Prometheus /api/v1/query_range response> }        as saved from Prometheus

Exit codes: 0 Pass, 1 Marginal or Fail, 2 invalid input.`;

type SeriesIn = { labels: Record<string, string>; values: number[] };

function readSide(file: string): Record<string, SeriesIn[]> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError([{ source: file, path: [], message: `cannot be read as JSON: ${(e as Error).message}` }]);
  }
  if (!isPlainObject(data)) throw new ConfigError([{ source: file, path: [], message: 'is not a mapping of metric names to points' }]);
  const out: Record<string, SeriesIn[]> = {};
  const num = (v: unknown) => (v === null ? NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
  for (const [metric, v] of Object.entries(data)) {
    const bad = () => new ConfigError([{ source: file, path: [metric], message: 'is neither a list of numbers, a list of { labels, values }, nor a Prometheus query_range response' }]);
    if (Array.isArray(v) && v.every((x) => x === null || typeof x === 'number' || typeof x === 'string')) out[metric] = [{ labels: {}, values: v.map(num) }];
    else if (Array.isArray(v) && v.every((x) => isPlainObject(x) && Array.isArray(x.values)))
      out[metric] = v.map((x) => ({ labels: (x.labels ?? {}) as Record<string, string>, values: (x.values as unknown[]).map(num) }));
    else if (isPlainObject(v) && isPlainObject(v.data) && Array.isArray(v.data.result))
      out[metric] = (v.data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((r) => {
        const labels = { ...r.metric };
        delete labels.__name__;
        return { labels, values: r.values.map(([, x]) => num(x)) };
      });
    else throw bad();
  }
  return out;
}

export async function judgeCommand(argv: string[], io: Io): Promise<number> {
  const parsed = parseOptions(
    argv,
    {
      config: { type: 'string' },
      baseline: { type: 'string' },
      canary: { type: 'string' },
      marginal: { type: 'string' },
      pass: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
    },
    JUDGE_USAGE,
    io,
  );
  if (!parsed) return ExitCode.Invalid;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) return io.out(JUDGE_USAGE), ExitCode.Succeeded;
  if (!v.config || !v.baseline || !v.canary) {
    io.err(`rollgate judge: --config, --baseline and --canary are required\n\n${JUDGE_USAGE}`);
    return ExitCode.Invalid;
  }
  try {
    const config = loadCanaryConfig(readFileSync(v.config as string, 'utf8'), v.config as string);
    const baseline = readSide(v.baseline as string);
    const canary = readSide(v.canary as string);
    const key = (l: Record<string, string>) => JSON.stringify(Object.entries(l).sort(([a], [b]) => a.localeCompare(b)));
    const series: MetricSeries[] = [];
    for (const m of config.metrics) {
      const b = baseline[m.name] ?? [];
      const c = canary[m.name] ?? [];
      const keys = new Set([...b.map((x) => key(x.labels)), ...c.map((x) => key(x.labels))]);
      if (!keys.size) series.push({ metric: m, labels: {}, baseline: [], canary: [] });
      for (const k of keys)
        series.push({ metric: m, labels: JSON.parse(k).reduce((o: Record<string, string>, [a, x]: [string, string]) => ({ ...o, [a]: x }), {}), baseline: b.find((x) => key(x.labels) === k)?.values ?? [], canary: c.find((x) => key(x.labels) === k)?.values ?? [] });
    }
    const number = (name: string, d: number) => {
      const x = v[name] === undefined ? d : Number(v[name]);
      if (!Number.isFinite(x)) throw new ConfigError([{ source: 'command line', path: [`--${name}`], message: `has ${JSON.stringify(v[name])}; expected a number` }]);
      return x;
    };
    const verdict = judge(series, config.groups, {
      ...DEFAULT_JUDGE_SETTINGS,
      ...config.judge,
      marginal: number('marginal', 50),
      pass: number('pass', 75),
      seed: number('seed', 0),
    });
    if (v.json) io.out(JSON.stringify(verdict, null, 2));
    else {
      for (const m of verdict.metrics) io.out(`${m.classification.padEnd(16)} ${m.name}${Object.keys(m.labels).length ? ` ${JSON.stringify(m.labels)}` : ''}: ${m.reason}`);
      for (const g of verdict.groups) io.out(`group ${g.name}: ${g.score} (weight ${g.weight})`);
      io.out(`\nScore ${verdict.score}: ${verdict.classification}. ${verdict.reason}`);
    }
    return verdict.classification === 'Pass' ? ExitCode.Succeeded : ExitCode.Failed;
  } catch (e) {
    return reportError(e, io);
  }
}
