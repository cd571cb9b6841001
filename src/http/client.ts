// HTTP behind one small interface, on Node's built-in fetch. Every request has a
// timeout, every body is read up to a limit, and failures become one readable sentence.
import { networkReason } from './raw.ts';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBodyBytes: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
  /** True when the body was longer than maxBodyBytes and was cut there. */
  truncated: boolean;
  durationMs: number;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}

export class HttpError extends Error {
  override name = 'HttpError';
  readonly kind: 'timeout' | 'aborted' | 'network';
  constructor(message: string, kind: 'timeout' | 'aborted' | 'network') {
    super(message);
    this.kind = kind;
  }
}

export function createHttpClient(): HttpClient {
  return { request };
}

async function request(req: HttpRequest): Promise<HttpResponse> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const what = `${req.method} ${redactUrl(req.url)}`;
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal, redirect: 'follow' });
  } catch (e) {
    throw describeFailure(e, what, req, timeout);
  }
  try {
    const { body, truncated } = await readBounded(res, req.maxBodyBytes);
    return { status: res.status, headers: res.headers, body, truncated, durationMs: performance.now() - started };
  } catch (e) {
    throw describeFailure(e, `${what} (reading the response body)`, req, timeout);
  }
}

async function readBounded(res: Response, max: number): Promise<{ body: string; truncated: boolean }> {
  if (!res.body) return { body: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { body: Buffer.concat(chunks).toString('utf8'), truncated };
}

function describeFailure(e: unknown, what: string, req: HttpRequest, timeout: AbortSignal): HttpError {
  if (timeout.aborted) return new HttpError(`${what} timed out after ${req.timeoutMs / 1000}s`, 'timeout');
  if (req.signal?.aborted) return new HttpError(`${what} was cancelled`, 'aborted');
  const cause = (e as { cause?: unknown }).cause;
  return new HttpError(`${what} failed: ${networkReason(cause ?? e)}`, 'network');
}

/** Drops credentials and query strings from a URL before it is shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    if (u.search) u.search = '?…';
    return u.toString();
  } catch {
    return url;
  }
}

/** Seconds or an HTTP date in Retry-After, as milliseconds from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
