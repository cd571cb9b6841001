// The GitHub REST API behind one small interface. Octokit (through @actions/github) is
// loaded only when a GitHub stage runs: it brings undici and the Octokit plugins, which
// a run without GitHub stages should not pay for at start-up.
import { s } from '../config/schema.ts';
import { StageError, type StageContext } from '../pipeline/types.ts';
import type { Logger } from '../log/logger.ts';

export interface Repository {
  owner: string;
  repo: string;
}

export interface GitHubResponse<T> {
  status: number;
  data: T;
}

export type Params = Record<string, unknown>;

export interface RequestOptions {
  /** Instead of the stage's signal: for clean-up after the stage was cancelled. */
  signal?: AbortSignal;
}

export interface GitHubClient {
  readonly repository: Repository;
  /** Where the API is, for messages. */
  readonly apiUrl: string;
  /**
   * One call, `route` written as GitHub documents it ('POST /repos/{owner}/{repo}/deployments');
   * owner and repo are filled in. Other params go into the path, the query (GET) or the JSON body.
   */
  request<T>(route: string, params?: Params, opts?: RequestOptions): Promise<GitHubResponse<T>>;
  /** The items of every page of a list (at most `max`). */
  list<T>(route: string, params?: Params, opts?: { max?: number }): Promise<T[]>;
}

/** An answer GitHub gave with an error status; callers branch on `status`. */
export class GitHubApiError extends StageError {
  override name = 'GitHubApiError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message, { statusCode: status });
    this.status = status;
  }
}

export const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export const repositoryField = () =>
  s
    .string({ pattern: REPOSITORY, patternText: 'a repository written owner/name, e.g. acme/web' })
    .describe('The repository, written owner/name. Default: the repository of the workflow run ($GITHUB_REPOSITORY).');

const REQUEST_TIMEOUT_MS = 30_000;
/** Beyond this wait for a rate limit to reset, failing says more than waiting. */
const MAX_RATE_LIMIT_WAIT_S = 15 * 60;

/**
 * The permission a route needs from the token, for the message when GitHub refuses.
 * GitHub answers 404 rather than 403 where a token may not even see the resource.
 */
export function permissionFor(route: string): string {
  const [method = 'GET', path = ''] = route.split(' ');
  const write = method !== 'GET';
  if (path.includes('/actions/')) return write ? 'actions: write' : 'actions: read';
  if (path.includes('/deployments')) return write ? 'deployments: write' : 'deployments: read';
  if (path.includes('/comments')) return write ? 'pull-requests: write (or issues: write)' : 'pull-requests: read (or issues: read)';
  return 'metadata: read';
}

export function parseRepository(text: string, where: string): Repository {
  if (!REPOSITORY.test(text)) throw new StageError(`${where} is ${JSON.stringify(text)}; expected owner/name, e.g. acme/web`);
  const [owner, repo] = text.split('/') as [string, string];
  return { owner, repo };
}

export interface ClientOptions {
  token: string | undefined;
  env: NodeJS.ProcessEnv;
  /** owner/name; default $GITHUB_REPOSITORY. */
  repository?: string;
  /** What the stage needs, for the message when no token is given. */
  permissions: string;
  log: Logger;
  signal?: AbortSignal;
  /** Base of the back-off between retries of 5xx answers (Octokit waits base × n²). */
  retryBaseMs?: number;
  /**
   * Space write requests a second apart, as GitHub asks of integrations to stay clear of its
   * secondary rate limits (and retry when it is hit anyway). Default: true.
   */
  paceWrites?: boolean;
}

export async function createGitHubClient(o: ClientOptions): Promise<GitHubClient> {
  if (!o.token)
    throw new StageError(
      `no GitHub token: set the action's github-token input (default: the job's GITHUB_TOKEN) or, from a terminal, GITHUB_TOKEN; this stage needs the permission ${o.permissions}`,
    );
  const repoText = o.repository ?? o.env.GITHUB_REPOSITORY;
  if (!repoText) throw new StageError('no repository: set the stage field repository (owner/name), or run inside GitHub Actions where GITHUB_REPOSITORY is set');
  const repository = parseRepository(repoText, o.repository ? 'repository' : 'GITHUB_REPOSITORY');
  const apiUrl = (o.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');

  const [{ getOctokit }, { retry }, { throttling }] = await Promise.all([
    import('@actions/github'),
    import('@octokit/plugin-retry'),
    import('@octokit/plugin-throttling'),
  ]);
  const log = o.log;
  const octokit = getOctokit(
    o.token,
    {
      baseUrl: apiUrl,
      userAgent: 'rollgate',
      log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log.warn(m), error: (m: string) => log.warn(m) },
      retry: { retryAfterBaseValue: o.retryBaseMs ?? 1000 },
      throttle: {
        enabled: o.paceWrites !== false,
        onRateLimit: (after: number, req: { method: string; url: string }, _k: unknown, retryCount: number) => {
          const again = retryCount < 1 && after <= MAX_RATE_LIMIT_WAIT_S;
          log.warn(`GitHub's rate limit is used up (${req.method} ${req.url}); ${again ? `retrying when it resets in ${after}s` : `it resets in ${after}s, giving up`}`);
          return again;
        },
        onSecondaryRateLimit: (after: number, req: { method: string; url: string }, _k: unknown, retryCount: number) => {
          const again = retryCount < 3 && after <= MAX_RATE_LIMIT_WAIT_S;
          log.warn(`GitHub's secondary rate limit hit ${req.method} ${req.url}; ${again ? `retrying in ${after}s` : 'giving up'}`);
          return again;
        },
      },
    },
    retry,
    throttling,
  );

  /** Runs one call (or one listing) with the stage's signal and a timeout per request. */
  async function guarded<R>(route: string, signal: AbortSignal | undefined, fn: (request: { signal: AbortSignal }) => Promise<R>): Promise<R> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const either = signal ? AbortSignal.any([signal, timeout]) : timeout;
    // fetch rejects with the signal's reason; Octokit passes on only a plain AbortError
    // untouched and takes anything else for a network failure, which its retry plugin retries.
    const plain = new AbortController();
    const onAbort = () => plain.abort();
    either.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn({ signal: plain.signal });
    } catch (e) {
      throw describeError(e, route, apiUrl, signal);
    } finally {
      either.removeEventListener('abort', onAbort);
    }
  }
  const fill = (params: Params | undefined, request: { signal: AbortSignal }) => ({ owner: repository.owner, repo: repository.repo, ...params, request });

  return {
    repository,
    apiUrl,
    request<T>(route: string, params?: Params, opts: RequestOptions = {}) {
      return guarded(route, opts.signal ?? o.signal, async (request) => {
        const r = await octokit.request(route, fill(params, request));
        return { status: r.status, data: r.data as T };
      });
    },
    list<T>(route: string, params?: Params, opts: { max?: number } = {}) {
      const max = opts.max ?? Infinity;
      return guarded(route, o.signal, async (request) => {
        const items: T[] = [];
        for await (const page of octokit.paginate.iterator(route, fill({ per_page: 100, ...params }, request))) {
          items.push(...(page.data as T[]));
          if (items.length >= max) break;
        }
        return items.slice(0, max);
      });
    },
  };
}

export interface ClientRequest {
  repository?: string;
  permissions: string;
}

/** How a GitHub stage gets its client; tests pass their own. */
export type GitHubFactory = (ctx: StageContext, o: ClientRequest) => Promise<GitHubClient>;

/** A client for a stage: the run's token (masked) and the stage's repository field. */
export function githubClient(ctx: StageContext, o: ClientRequest & Pick<ClientOptions, 'paceWrites' | 'retryBaseMs'>): Promise<GitHubClient> {
  const token = ctx.githubToken ?? ctx.env.GITHUB_TOKEN;
  if (token) ctx.addSecret(token);
  return createGitHubClient({ ...o, token, env: ctx.env, log: ctx.log, signal: ctx.signal });
}

interface OctokitError {
  name?: string;
  status?: number;
  message?: string;
  request?: { method?: string; url?: string };
  response?: { data?: unknown; headers?: Record<string, string> };
}

function describeError(e: unknown, route: string, apiUrl: string, signal?: AbortSignal): Error {
  const err = e as OctokitError;
  const [method = 'GET'] = route.split(' ');
  const path = pathOf(err.request?.url, apiUrl) ?? route.split(' ')[1] ?? route;
  const what = `${err.request?.method ?? method} ${path}`;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') {
    // The stage's own signal wins: the engine reports the cancellation or timeout itself.
    if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error(`${what} was cancelled`);
    return new GitHubApiError(`${what}: no answer from ${apiUrl} within ${REQUEST_TIMEOUT_MS / 1000}s`, 0);
  }
  const status = err.status;
  if (status === undefined || !err.response) {
    return new GitHubApiError(`${what} failed: ${err.message ?? String(e)} (is ${apiUrl} reachable?)`, 0);
  }
  const message = githubMessage(err.response.data) ?? err.message ?? 'no message';
  const permission = permissionFor(route);
  const hint =
    status === 401
      ? ' The token is invalid or has expired; check the github-token input.'
      : status === 403 && err.response.headers?.['x-ratelimit-remaining'] === '0'
        ? ` GitHub's rate limit is used up; it resets at ${new Date(Number(err.response.headers['x-ratelimit-reset']) * 1000).toISOString()}.`
        : status === 403
          ? ` The token likely lacks the permission ${permission}: add it to the job's permissions block (a pull request from a fork gets a read-only GITHUB_TOKEN).`
          : status === 404
            ? ` Check that it exists and that the token can see it: it needs ${permission}, and a repository other than the workflow's own needs a token with access to it (a GitHub App or fine-grained token).`
            : '';
  return new GitHubApiError(`GitHub answered ${status} to ${what}: ${message}.${hint}`, status);
}

function pathOf(url: string | undefined, apiUrl: string): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    const base = new URL(apiUrl).pathname.replace(/\/+$/, '');
    return decodeURIComponent(u.pathname.startsWith(base) ? u.pathname.slice(base.length) : u.pathname);
  } catch {
    return undefined;
  }
}

/** GitHub's own words: `message`, and for 422 the `errors` that say which field. */
function githubMessage(data: unknown): string | undefined {
  if (typeof data === 'string') return data.trim().slice(0, 300) || undefined;
  if (!data || typeof data !== 'object') return undefined;
  const d = data as { message?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (typeof d.message === 'string') parts.push(d.message.replace(/\.$/, ''));
  if (Array.isArray(d.errors)) {
    const details = d.errors
      .map((x) => {
        if (typeof x === 'string') return x;
        const f = x as { message?: string; resource?: string; field?: string; code?: string };
        return f.message ?? [f.resource && f.field ? `${f.resource}.${f.field}` : f.field, f.code].filter(Boolean).join(' ');
      })
      .filter(Boolean);
    if (details.length) parts.push(`(${details.join('; ')})`);
  }
  return parts.length ? parts.join(' ') : undefined;
}
