// `rollgate canary`: one canary-analysis stage from the terminal, through the same engine.
import { stringify } from 'yaml';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, parseOptions, reportError, runSettings, type Io } from './main.ts';

export const CANARY_USAGE = `Usage: rollgate canary --config canary.yml --url PROMETHEUS_URL --baseline SCOPE --canary SCOPE (--lifetime 30m | --start ISO --end ISO) [options]

  --config FILE            the canary config
  --url URL                Prometheus base URL (--token-env VAR for a bearer token)
  --baseline, --canary     the \${scope} of each side; --baseline-location, --canary-location for \${location}
  --lifetime, --delay, --interval, --step, --baseline-offset, --lookback   durations (e.g. 30m, 1m, 60s)
  --start, --end           a retrospective analysis of the past (ISO-8601 times)
  --var NAME=VALUE         an extra template variable (repeatable)
  --marginal N, --pass N   thresholds (default 50 and 75)
  --report-dir DIR         where the JSON report goes

Exit codes: 0 the canary passed, 1 it failed (or was cancelled), 2 invalid input.`;

const FLAGS: Record<string, string> = {
  lifetime: 'lifetime',
  delay: 'delay',
  interval: 'interval',
  step: 'step',
  'baseline-offset': 'baselineOffset',
  lookback: 'lookback',
  start: 'startTime',
  end: 'endTime',
  baseline: 'baseline',
  canary: 'canary',
  'baseline-location': 'baselineLocation',
  'canary-location': 'canaryLocation',
  marginal: 'marginal',
  pass: 'pass',
};

export async function canaryCommand(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const parsed = parseOptions(
    argv,
    {
      config: { type: 'string' },
      url: { type: 'string' },
      'token-env': { type: 'string' },
      var: { type: 'string', multiple: true },
      'report-dir': { type: 'string' },
      ...Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }])),
    },
    CANARY_USAGE,
    io,
  );
  if (!parsed) return ExitCode.Invalid;
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (v.help) return io.out(CANARY_USAGE), ExitCode.Succeeded;
  if (!v.config || !v.url) {
    io.err(`rollgate canary: --config and --url are required\n\n${CANARY_USAGE}`);
    return ExitCode.Invalid;
  }
  const stage: Record<string, unknown> = {
    id: 'canary',
    type: 'canary-analysis',
    metricStore: { url: v.url, ...(v['token-env'] ? { bearerToken: { fromEnv: v['token-env'] } } : {}) },
    canaryConfig: v.config,
  };
  for (const [flag, field] of Object.entries(FLAGS)) if (v[flag] !== undefined) stage[field] = v[flag];
  const vars = (v.var as string[] | undefined) ?? [];
  if (vars.length) stage.scopeVariables = Object.fromEntries(vars.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const bad = vars.find((kv) => kv.indexOf('=') <= 0);
  if (bad) {
    io.err(`rollgate canary: --var ${JSON.stringify(bad)} is not NAME=VALUE`);
    return ExitCode.Invalid;
  }
  try {
    return await runSettings(
      {
        inlineStage: { text: stringify(stage), source: 'rollgate canary' },
        inputs: {},
        artifacts: [],
        dryRun: false,
        workspace: process.cwd(),
        reportDir: path.resolve((v['report-dir'] as string | undefined) ?? path.join(os.tmpdir(), 'rollgate')),
      },
      io,
      signal,
    );
  } catch (e) {
    return reportError(e, io);
  }
}
