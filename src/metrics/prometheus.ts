// The Prometheus HTTP API: /api/v1/status/buildinfo for the connection check and
// /api/v1/query_range for series. Every failure says which kind it is.
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { networkReason, rawRequest } from '../http/raw.ts';
import { redactUrl } from '../http/client.ts';
import { MetricStoreError, MetricStoreErrorKind, type MetricStore, type MetricStoreConfig, type Series } from './store.ts';

export interface ResolveSecret {
  (value: string | { value?: string; fromEnv?: string } | undefined, field: string): string | undefined;
}

/** Reads secret fields (registering them for masking) and makes the client. */
export function createPrometheusStore(name: string, config: MetricStoreConfig, opts: { resolveSecret: ResolveSecret; workspace: string }): MetricStore {
  const base = config.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = opts.resolveSecret(config.bearerToken, 'bearerToken');
  if (token) headers.authorization = `Bearer ${token}`;
  else if (config.username !== undefined) {
    const password = opts.resolveSecret(config.password, 'password') ?? '';
    headers.authorization = `Basic ${Buffer.from(`${config.username}:${password}`).toString('base64')}`;
  }
  for (const [k, v] of Object.entries(config.headers ?? {})) headers[k.toLowerCase()] = opts.resolveSecret(v, `headers.${k}`) ?? '';
  const options: https.RequestOptions = {};
  if (config.ca) {
    const file = path.resolve(opts.workspace, config.ca);
    options.ca = config.ca.includes('-----BEGIN') ? config.ca : existsSync(file) ? readFileSync(file, 'utf8') : config.ca;
  }
  if (config.insecureSkipVerify) options.rejectUnauthorized = false;
  const timeoutMs = config.timeout ?? 30_000;
  const agent = base.startsWith('https:') ? new https.Agent({ keepAlive: true, maxSockets: 16 }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
  const where = `metric store "${name}" (${redactUrl(base)})`;

  async function get(pathAndQuery: string, signal?: AbortSignal): Promise<unknown> {
    let res;
    try {
      res = await rawRequest({ url: base + pathAndQuery, method: 'GET', headers, options, agent, timeoutMs, signal, maxBodyBytes: 256 * 1024 * 1024 });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const kind = ['ENOTFOUND', 'EAI_AGAIN'].includes(code)
        ? MetricStoreErrorKind.Dns
        : code === 'ETIMEDOUT'
          ? MetricStoreErrorKind.Timeout
          : /CERT|TLS|SSL|EPROTO|SELF_SIGNED|VERIFY/.test(code)
            ? MetricStoreErrorKind.Tls
            : MetricStoreErrorKind.Connection;
      throw new MetricStoreError(`${where}: ${networkReason(e)}`, kind);
    }
    if (res.status === 401 || res.status === 403)
      throw new MetricStoreError(`${where}: ${res.status} ${res.status === 401 ? 'Unauthorized: check bearerToken or username/password' : 'Forbidden: the credentials may not read this API'}`, MetricStoreErrorKind.Auth);
    let body: { status?: string; data?: unknown; error?: string; errorType?: string } | undefined;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = undefined;
    }
    if (!body || typeof body.status !== 'string') {
      throw new MetricStoreError(
        `${where}: ${res.status} with a body that is not the Prometheus API's JSON (${res.body.replace(/\s+/g, ' ').slice(0, 120) || 'empty'}); is the URL the Prometheus server's base URL?`,
        res.status >= 500 ? MetricStoreErrorKind.Server : MetricStoreErrorKind.NotPrometheus,
      );
    }
    if (body.status !== 'success') {
      const kind = res.status >= 500 && body.errorType !== 'bad_data' ? MetricStoreErrorKind.Server : MetricStoreErrorKind.Query;
      throw new MetricStoreError(`${where}: ${body.errorType ?? 'error'}: ${body.error ?? 'no message'}`, kind);
    }
    return body.data;
  }

  return {
    name,
    url: base,
    async check(signal) {
      const data = (await get('/api/v1/status/buildinfo', signal)) as { version?: string } | undefined;
      if (!data?.version) throw new MetricStoreError(`${where}: /api/v1/status/buildinfo has no version; is this a Prometheus server?`, MetricStoreErrorKind.NotPrometheus);
      return { version: data.version };
    },
    async queryRange(query, range, signal) {
      const q = new URLSearchParams({
        query,
        start: range.start.toISOString(),
        end: range.end.toISOString(),
        step: String(range.stepSeconds),
      });
      const data = (await get(`/api/v1/query_range?${q}`, signal)) as { resultType?: string; result?: { metric: Record<string, string>; values: [number, string][] }[] };
      if (data?.resultType !== 'matrix') throw new MetricStoreError(`${where}: the query returned ${data?.resultType ?? 'nothing'}, not a range of series: ${query}`, MetricStoreErrorKind.Query);
      return (data.result ?? []).map((r): Series => {
        const labels = { ...r.metric };
        delete labels.__name__;
        return { labels, points: r.values.map(([t, v]) => [t, v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v)]) };
      });
    },
  };
}
