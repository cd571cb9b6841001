// Fetches one chart from a Helm chart repository (a URL serving index.yaml) into a
// directory, so that `helm template` only ever reads a local archive. Doing the download
// here rather than with `helm template --repo … --password …` keeps the password off
// helm's command line (where any process on the machine can read it), leaves helm's
// repository cache untouched, and lets errors list the versions that do exist.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { StageError } from '../pipeline/types.ts';
import { isPlainObject } from '../config/schema.ts';
import { networkReason } from '../http/raw.ts';
import { redactUrl } from '../http/client.ts';
import type { Logger } from '../log/logger.ts';

export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
export const MAX_CHART_BYTES = 64 * 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 60_000;

export interface RepositoryChart {
  repository: string;
  chart: string;
  /** An exact version; default the highest version that is not a pre-release (as helm). */
  version?: string;
  username?: string;
  password?: string;
}

export interface FetchedChart {
  file: string;
  version: string;
  appVersion?: string;
  url: string;
}

interface IndexEntry {
  version: string;
  appVersion?: string;
  urls: string[];
  digest?: string;
}

export async function fetchChart(req: RepositoryChart, dir: string, opts: { signal: AbortSignal; log: Logger }): Promise<FetchedChart> {
  const base = req.repository.endsWith('/') ? req.repository : `${req.repository}/`;
  const indexUrl = new URL('index.yaml', base).toString();
  const auth = req.username !== undefined ? `Basic ${Buffer.from(`${req.username}:${req.password ?? ''}`).toString('base64')}` : undefined;

  const indexBytes = await get(indexUrl, auth, MAX_INDEX_BYTES, req, opts.signal, 'index');
  let index: unknown;
  try {
    index = parseYaml(indexBytes.toString('utf8'), { maxAliasCount: -1 });
  } catch (e) {
    throw new StageError(`${redactUrl(indexUrl)} is not valid YAML (${(e as Error).message.split('\n')[0]}); expected a Helm repository index`);
  }
  const entries = isPlainObject(index) && isPlainObject(index.entries) ? index.entries : undefined;
  if (!entries) throw new StageError(`${redactUrl(indexUrl)} has no entries mapping; expected a Helm repository index (as written by helm repo index)`);
  const raw = entries[req.chart];
  if (!Array.isArray(raw) || !raw.length) {
    const names = Object.keys(entries).sort();
    throw new StageError(
      `the repository ${redactUrl(req.repository)} has no chart named ${JSON.stringify(req.chart)}; it has ${names.length ? names.slice(0, 30).join(', ') + (names.length > 30 ? ` and ${names.length - 30} more` : '') : 'no charts'}`,
    );
  }
  const versions: IndexEntry[] = raw
    .filter((e): e is Record<string, unknown> => isPlainObject(e) && typeof e.version === 'string' && Array.isArray(e.urls) && e.urls.length > 0)
    .map((e) => ({
      version: e.version as string,
      appVersion: typeof e.appVersion === 'string' ? e.appVersion : undefined,
      urls: (e.urls as unknown[]).map(String),
      digest: typeof e.digest === 'string' ? e.digest : undefined,
    }));
  const entry = pickVersion(versions, req);
  if (!req.version) opts.log.info(`chart ${req.chart}: no version given; using ${entry.version}, the newest release in the repository`);

  // Relative chart URLs (helm repo index without --url) are relative to the repository.
  const chartUrl = new URL(entry.urls[0]!, base).toString();
  // As helm without --pass-credentials: credentials go only to the repository's own host.
  const sameOrigin = new URL(chartUrl).origin === new URL(base).origin;
  if (auth && !sameOrigin) opts.log.info(`chart ${req.chart} ${entry.version} is hosted on ${new URL(chartUrl).origin}, not the repository's host: fetching it without the credentials`);
  const archive = await get(chartUrl, sameOrigin ? auth : undefined, MAX_CHART_BYTES, req, opts.signal, 'chart');
  if (entry.digest) {
    const actual = createHash('sha256').update(archive).digest('hex');
    if (actual !== entry.digest.toLowerCase())
      throw new StageError(`${redactUrl(chartUrl)} has the sha256 digest ${actual}, but the repository index says ${entry.digest}; the archive was changed or corrupted after indexing (re-run helm repo index)`);
  }
  const file = path.join(dir, `${safeFileName(req.chart)}-${safeFileName(entry.version)}.tgz`);
  await writeFile(file, archive);
  return { file, version: entry.version, appVersion: entry.appVersion, url: chartUrl };
}

function pickVersion(versions: IndexEntry[], req: RepositoryChart): IndexEntry {
  const listed = versions
    .map((v) => v.version)
    .sort((a, b) => compareVersions(b, a))
    .slice(0, 20)
    .join(', ');
  if (req.version) {
    const wanted = req.version.replace(/^v/, '');
    const found = versions.find((v) => v.version === req.version) ?? versions.find((v) => v.version.replace(/^v/, '') === wanted);
    if (found) return found;
    const range = /[\^~<>=*xX|, ]/.test(req.version);
    throw new StageError(
      `chart ${req.chart} has no version ${JSON.stringify(req.version)} in ${redactUrl(req.repository)}${range ? ' (version ranges are not supported: a bake names one exact version, so that it is reproducible)' : ''}; versions: ${listed || 'none'}`,
    );
  }
  const stable = versions.filter((v) => parseVersion(v.version) && !parseVersion(v.version)!.pre);
  if (!stable.length)
    throw new StageError(`chart ${req.chart} has no release version in ${redactUrl(req.repository)} (only pre-releases or unparsable versions: ${listed}); give version`);
  return stable.sort((a, b) => compareVersions(b.version, a.version))[0]!;
}

interface Semver {
  core: [number, number, number];
  pre?: string[];
}

export function parseVersion(v: string): Semver | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) return undefined;
  return { core: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], pre: m[4]?.split('.') };
}

/** Semantic version order (pre-releases before their release); unparsable versions sort first. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : a.localeCompare(b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! - y.core[i]!;
  if (!x.pre || !y.pre) return x.pre ? -1 : y.pre ? 1 : 0;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

async function get(url: string, auth: string | undefined, max: number, req: RepositoryChart, signal: AbortSignal, what: 'index' | 'chart'): Promise<Buffer> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const shown = redactUrl(url);
  let res: Response;
  try {
    res = await fetch(url, { headers: auth ? { authorization: auth } : {}, signal: AbortSignal.any([signal, timeout]), redirect: 'follow' });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    if (timeout.aborted) throw new StageError(`GET ${shown} got no answer within ${REQUEST_TIMEOUT_MS / 1000}s`);
    throw new StageError(`GET ${shown} failed: ${networkReason((e as { cause?: unknown }).cause ?? e)}`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel().catch(() => undefined);
    throw new StageError(
      req.username === undefined
        ? `GET ${shown} answered ${res.status}: the chart repository wants credentials; set username and password: { fromEnv: VARIABLE } on the stage`
        : `GET ${shown} answered ${res.status}: the chart repository refused the credentials of user ${JSON.stringify(req.username)}; check the user and the secret behind password.fromEnv`,
    );
  }
  if (res.status === 404 && what === 'index') {
    await res.body?.cancel().catch(() => undefined);
    throw new StageError(`GET ${shown} answered 404: ${redactUrl(req.repository)} is not a Helm chart repository (it serves no index.yaml); give the URL you would pass to helm repo add`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, 300).replace(/\s+/g, ' ').trim();
    throw new StageError(`GET ${shown} answered ${res.status}${text ? `: ${text}` : ''}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > max) {
        await res.body?.cancel().catch(() => undefined);
        throw new StageError(`GET ${shown}: the ${what === 'index' ? 'repository index' : 'chart archive'} is larger than ${max / 1024 / 1024} MiB; refusing to read more`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (e) {
    if (e instanceof StageError) throw e;
    if (signal.aborted) throw signal.reason;
    throw new StageError(`GET ${shown} broke off while reading: ${networkReason((e as { cause?: unknown }).cause ?? e)}`);
  }
  return Buffer.concat(chunks);
}

function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}
