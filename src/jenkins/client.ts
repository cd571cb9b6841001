// Jenkins' remote access API behind one small interface: trigger a job, follow its queue
// item, read and stop builds. POSTs carry a CSRF crumb (with the session cookie it is
// bound to) and every request the user's API token.
import { StageError } from '../pipeline/types.ts';
import { HttpError, redactUrl, type HttpClient, type HttpResponse } from '../http/client.ts';

export interface QueueItem {
  id: number;
  cancelled?: boolean;
  /** Why it is still waiting, in Jenkins' words. */
  why?: string | null;
  executable?: { number: number; url?: string } | null;
}

export interface BuildArtifact {
  fileName: string;
  relativePath: string;
}

export interface Build {
  number: number;
  url?: string;
  building: boolean;
  result: string | null;
  artifacts?: BuildArtifact[];
}

export interface JenkinsClient {
  readonly url: string;
  /** Queues the job; returns the queue item's id. */
  trigger(job: string, parameters: Record<string, string>): Promise<number>;
  queueItem(id: number): Promise<QueueItem>;
  /** The build, or undefined while Jenkins does not show it yet. */
  build(job: string, number: number): Promise<Build | undefined>;
  stopBuild(job: string, number: number): Promise<void>;
  cancelQueueItem(id: number): Promise<void>;
}

/** An answer with an error status, or no answer; `status` 0 for the latter. */
export class JenkinsError extends StageError {
  override name = 'JenkinsError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message, status ? { statusCode: status } : undefined);
    this.status = status;
  }
}

export interface JenkinsOptions {
  url: string;
  user?: string;
  token?: string;
  http: HttpClient;
  signal: AbortSignal;
  /** Names the token's source in messages, e.g. "the env var JENKINS_TOKEN". */
  tokenSource?: string;
  requestTimeoutMs?: number;
}

/** A job's path: folders a/b/c become /job/a/job/b/job/c. */
export function jobPath(job: string): string {
  return job
    .split('/')
    .filter(Boolean)
    .map((part) => `/job/${encodeURIComponent(part)}`)
    .join('');
}

export function createJenkinsClient(o: JenkinsOptions): JenkinsClient {
  const base = o.url.replace(/\/+$/, '');
  const auth = o.token !== undefined ? `Basic ${Buffer.from(`${o.user ?? ''}:${o.token}`).toString('base64')}` : undefined;
  const timeoutMs = o.requestTimeoutMs ?? 30_000;
  /** undefined: not asked yet; null: this Jenkins issues none. */
  let crumb: { field: string; value: string; cookie?: string } | null | undefined;

  async function call(method: string, path: string, opts: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<HttpResponse> {
    const url = `${base}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (auth) headers.authorization = auth;
    try {
      return await o.http.request({ method, url, headers, body: opts.body, timeoutMs, maxBodyBytes: 4 * 1024 * 1024, signal: opts.signal ?? o.signal });
    } catch (e) {
      if (e instanceof HttpError && e.kind !== 'aborted') throw new JenkinsError(e.message, 0);
      throw e;
    }
  }

  async function getCrumb(): Promise<typeof crumb> {
    const r = await call('GET', '/crumbIssuer/api/json');
    // No crumb issuer: CSRF protection is off (or the token alone is enough).
    if (r.status === 404) return null;
    if (r.status >= 400) throw failure('GET', '/crumbIssuer/api/json', r, 'read a CSRF crumb');
    const j = parseJson<{ crumb?: string; crumbRequestField?: string }>(r, '/crumbIssuer/api/json');
    if (!j.crumb || !j.crumbRequestField) throw new JenkinsError(`${base}/crumbIssuer/api/json answered without crumb and crumbRequestField: ${snippet(r.body)}`, r.status);
    // Jenkins binds a crumb to the web session that asked for it.
    const cookie = r.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    return { field: j.crumbRequestField, value: j.crumb, cookie: cookie || undefined };
  }

  async function post(path: string, what: string, opts: { body?: string; contentType?: string; signal?: AbortSignal } = {}): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      if (crumb === undefined) crumb = await getCrumb();
      const headers: Record<string, string> = {};
      if (opts.contentType) headers['content-type'] = opts.contentType;
      if (crumb) {
        headers[crumb.field] = crumb.value;
        if (crumb.cookie) headers.cookie = crumb.cookie;
      }
      const r = await call('POST', path, { body: opts.body, headers, signal: opts.signal });
      // A crumb from an expired session: ask for a new one, once.
      if (r.status === 403 && /crumb/i.test(r.body) && attempt === 1) {
        crumb = undefined;
        continue;
      }
      if (r.status >= 400) throw failure('POST', path, r, what);
      return r;
    }
  }

  function failure(method: string, path: string, r: HttpResponse, what: string): JenkinsError {
    const where = `${method} ${redactUrl(`${base}${path}`)}`;
    const who = o.user ? `user ${o.user}` : 'anonymous access (no user or token given)';
    const hint =
      r.status === 401
        ? ` The user or API token is wrong: create an API token on ${base}/user/${o.user ?? '<user>'}/configure and pass it${o.tokenSource ? ` in ${o.tokenSource}` : ''}.`
        : r.status === 403 && /crumb/i.test(r.body)
          ? ' Jenkins refused the CSRF crumb even after a fresh one; check that no proxy drops the session cookie.'
          : r.status === 403
            ? ` ${who} may not ${what}: it needs Overall/Read plus Job/Read and Job/Build on the job.`
            : r.status === 404
              ? ` Check the URL and the job path, and that ${who} can see it (Jenkins answers 404 for jobs one may not read).`
              : '';
    return new JenkinsError(`Jenkins answered ${r.status} to ${where}: ${snippet(r.body)}.${hint}`, r.status);
  }

  async function getJson<T>(path: string, what: string): Promise<T | undefined> {
    const r = await call('GET', path);
    if (r.status === 404) return undefined;
    if (r.status >= 400) throw failure('GET', path, r, what);
    return parseJson<T>(r, path);
  }

  function parseJson<T>(r: HttpResponse, path: string): T {
    try {
      return JSON.parse(r.body) as T;
    } catch {
      throw new JenkinsError(`${base}${path} answered ${r.status} with something other than JSON (${snippet(r.body)}); is ${base} the Jenkins URL?`, r.status);
    }
  }

  return {
    url: base,
    async trigger(job, parameters) {
      const names = Object.keys(parameters);
      const path = `${jobPath(job)}/${names.length ? 'buildWithParameters' : 'build'}`;
      const r = await post(path, `build ${job}`, names.length ? { body: new URLSearchParams(parameters).toString(), contentType: 'application/x-www-form-urlencoded' } : {});
      const location = r.headers.get('location') ?? '';
      const m = /\/queue\/item\/(\d+)\/?$/.exec(location);
      if (!m) throw new JenkinsError(`POST ${base}${path} answered ${r.status} without a queue item in its Location header (${location || 'none'}); Jenkins before 1.519 does not say where the build was queued`, r.status);
      return Number(m[1]);
    },
    async queueItem(id) {
      const item = await getJson<QueueItem>(`/queue/item/${id}/api/json`, 'read the queue');
      if (!item) throw new JenkinsError(`queue item ${id} is gone from ${base}/queue/item/${id}/ (Jenkins forgets an item about 5 minutes after it leaves the queue)`, 404);
      return item;
    },
    build(job, number) {
      return getJson<Build>(`${jobPath(job)}/${number}/api/json?tree=number,url,building,result,artifacts[fileName,relativePath]`, `read ${job}`);
    },
    async stopBuild(job, number) {
      await post(`${jobPath(job)}/${number}/stop`, `stop ${job} #${number}`, { signal: AbortSignal.timeout(3000) });
    },
    async cancelQueueItem(id) {
      await post(`/queue/cancelItem?id=${id}`, 'cancel a queue item', { signal: AbortSignal.timeout(3000) });
    },
  };
}

function snippet(body: string): string {
  // Jenkins answers errors in HTML; its title or first line is the useful part.
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  const text = (title ?? body.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
  if (!text) return '(empty body)';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
