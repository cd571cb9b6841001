// `rollgate metrics-store check`: does a Prometheus endpoint answer, and which version is it?
import { readFileSync } from 'node:fs';
import { createPrometheusStore } from '../metrics/prometheus.ts';
import { loadPipeline } from '../config/pipeline.ts';
import { stageTypes } from '../stages/registry.ts';
import { ConfigError } from '../config/errors.ts';
import type { MetricStoreConfig } from '../metrics/store.ts';
import { ExitCode, parseOptions, reportError, type Io } from './main.ts';

export const STORE_USAGE = `Usage:
  rollgate metrics-store check --url URL [--token-env VAR] [--ca FILE] [--insecure] [--timeout 10s]
  rollgate metrics-store check --pipeline pipeline.yml --name NAME

Exit codes: 0 the store answered, 1 it did not (the reason is printed), 2 invalid usage.`;

export async function metricsStoreCommand(argv: string[], io: Io): Promise<number> {
  const parsed = parseOptions(
    argv,
    { url: { type: 'string' }, 'token-env': { type: 'string' }, ca: { type: 'string' }, insecure: { type: 'boolean' }, pipeline: { type: 'string' }, name: { type: 'string' } },
    STORE_USAGE,
    io,
  );
  if (!parsed) return ExitCode.Invalid;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) return io.out(STORE_USAGE), ExitCode.Succeeded;
  if (parsed.positionals[0] !== 'check' || (!v.url && !(v.pipeline && v.name))) {
    io.err(`rollgate metrics-store: expected "check" with --url, or with --pipeline and --name\n\n${STORE_USAGE}`);
    return ExitCode.Invalid;
  }
  try {
    let name = 'command line';
    let config: MetricStoreConfig;
    if (v.url) config = { url: v.url as string, ...(v['token-env'] ? { bearerToken: { fromEnv: v['token-env'] as string } } : {}), ...(v.ca ? { ca: v.ca as string } : {}), ...(v.insecure ? { insecureSkipVerify: true } : {}) };
    else {
      const p = loadPipeline(readFileSync(v.pipeline as string, 'utf8'), v.pipeline as string, stageTypes);
      name = v.name as string;
      const found = p.metricStores[name];
      if (!found) throw new ConfigError([{ source: v.pipeline as string, path: ['metricStores'], message: `has no metric store "${name}"; it has: ${Object.keys(p.metricStores).join(', ') || '(none)'}` }]);
      config = found;
    }
    const store = createPrometheusStore(name, config, {
      workspace: process.cwd(),
      resolveSecret: (s, field) => {
        if (s === undefined || typeof s === 'string') return s;
        if (s.fromEnv === undefined) return s.value;
        const value = process.env[s.fromEnv];
        if (value === undefined) throw new ConfigError([{ source: name, path: [field], message: `reads the environment variable ${s.fromEnv}, which is not set` }]);
        return value;
      },
    });
    const { version } = await store.check();
    io.out(`✔ ${store.url}: Prometheus ${version}`);
    return ExitCode.Succeeded;
  } catch (e) {
    return reportError(e, io);
  }
}
