import { s, type Infer } from '../config/schema.ts';
import { duration, httpUrl } from '../config/fields.ts';
import { followPath, splitPath } from '../pipeline/references.ts';
import { StageError, type StageContext, type StageType, type OutputValue } from '../pipeline/types.ts';
import { HttpError, redactUrl, retryAfterMs, type HttpResponse } from '../http/client.ts';
import { parseArtifactList } from '../pipeline/artifacts.ts';
import { sleep } from '../util/sleep.ts';
import { formatDuration } from '../config/duration.ts';

const Method = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
const MAX_BODY_LIMIT = 16 * 1024 * 1024;

const headerValue = s.union<string | { value?: string; fromEnv?: string; secret?: boolean }>(
  [
    s.string(),
    s.object({
      value: s.string().describe('The header value.'),
      fromEnv: s.string({ minLength: 1 }).describe('Read the value from this environment variable (e.g. one set from a GitHub secret).'),
      secret: s.boolean().describe('Mask the value everywhere. Default: true for fromEnv, false for value.'),
    }),
  ],
  'a string, or a mapping with value or fromEnv and optional secret',
);

const jsonPath = () => s.string({ pattern: /^(\$\.?)?[A-Za-z_[][^\s]*$/, patternText: 'a field path such as status or data.items[0].id' });

const schema = s.object(
  {
    url: httpUrl().describe('The URL to call.'),
    method: s.enum(Method).describe('HTTP method. Default: POST (as Spinnaker).'),
    headers: s.record(headerValue).describe('Request headers. Mark credentials secret (or read them with fromEnv) so they are masked.'),
    body: s.any().describe('Request body: a string is sent as it is; anything else as JSON.'),
    failFastStatusCodes: s.array(s.number({ integer: true, min: 100, max: 599 })).describe('Status codes that fail the stage at once, without retries. Default: [504] (as Spinnaker).'),
    retryStatusCodes: s.array(s.number({ integer: true, min: 100, max: 599 })).describe('More status codes to retry, besides 429 and 5xx.'),
    retries: s.number({ integer: true, min: 0, max: 20 }).describe('Retries after the first attempt for 429, 5xx, timeouts and network errors. Default: 3.'),
    retryBackoff: duration().describe('First wait between attempts, doubled each time up to 30s; Retry-After wins when the server sends it. Default: 1s.'),
    requestTimeout: duration().describe('Timeout of each request. Default: 30s.'),
    maxResponseBytes: s.number({ integer: true, min: 1, max: MAX_BODY_LIMIT }).describe('Bytes of the response body kept; the rest is not read. Default: 1048576.'),
    extract: s.record(jsonPath()).describe('Outputs taken from the JSON response: output name → field path.'),
    poll: s
      .object(
        {
          statusUrl: httpUrl().describe('URL to poll. Default: the Location header of the response, else the webhook URL.'),
          statusUrlPath: jsonPath().describe('Take the URL to poll from this field of the JSON response instead.'),
          statusPath: jsonPath().describe('Field of the polled JSON that holds the status.'),
          success: s.array(s.string(), { minItems: 1 }).describe('Status values meaning success.'),
          failure: s.array(s.string()).describe('Status values meaning failure.'),
          interval: duration().describe('Time between polls. Default: 10s.'),
        },
        ['statusPath', 'success'],
      )
      .describe('Poll a status URL until a JSON field says success or failure (Spinnaker "wait for completion").'),
  },
  ['url'],
);

export type WebhookConfig = Infer<typeof schema>;

const outputs = {
  statusCode: 'HTTP status code of the (last) call.',
  body: 'Response body, up to maxResponseBytes.',
  bodyTruncated: 'true when the body was longer than maxResponseBytes.',
  json: 'The response parsed as JSON, when it is JSON; references can reach into it: $(stages.ID.outputs.json.field).',
  pollStatus: 'With poll: the final status value.',
  '<extract name>': 'Each field named in extract.',
};

export const webhook: StageType<WebhookConfig> = {
  type: 'webhook',
  description: 'Calls an HTTP endpoint, with retries, fail-fast codes and optional status polling.',
  schema,
  outputs,
  run,
};

async function run(config: WebhookConfig, ctx: StageContext) {
  const headers = resolveHeaders(config, ctx);
  let body: string | undefined;
  if (config.body !== undefined) {
    if (typeof config.body === 'string') body = config.body;
    else {
      body = JSON.stringify(config.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  const method = config.method ?? 'POST';
  const res = await callWithRetries(ctx, config, { method, url: config.url, headers, body });
  const out: Record<string, OutputValue> = {
    statusCode: res.status,
    body: res.body,
    bodyTruncated: res.truncated,
  };
  const json = tryJson(res.body);
  if (json !== undefined) out.json = json as OutputValue;
  for (const [name, path] of Object.entries(config.extract ?? {})) {
    out[name] = extractField(json, path, `extract.${name}`, res.truncated);
  }
  const artifacts =
    json && typeof json === 'object' && 'artifacts' in json ? parseArtifactList(JSON.stringify((json as { artifacts: unknown }).artifacts), 'the response field artifacts') : [];
  if (!Array.isArray(artifacts)) throw new StageError(artifacts.error);

  if (config.poll) {
    const poll = config.poll;
    let statusUrl = poll.statusUrl;
    if (!statusUrl && poll.statusUrlPath) {
      const v = extractField(json, poll.statusUrlPath, 'poll.statusUrlPath', res.truncated);
      if (typeof v !== 'string') throw new StageError(`poll.statusUrlPath ${poll.statusUrlPath} is not a URL in the response (found ${JSON.stringify(v)})`);
      statusUrl = v;
    }
    statusUrl ??= res.headers.get('location') ? new URL(res.headers.get('location')!, config.url).toString() : config.url;
    const interval = poll.interval ?? 10_000;
    ctx.log.info(`Polling ${redactUrl(statusUrl)} every ${formatDuration(interval)} until ${poll.statusPath} is ${poll.success.join(' or ')}`);
    for (;;) {
      const pr = await callWithRetries(ctx, config, { method: 'GET', url: statusUrl, headers, body: undefined });
      const pj = tryJson(pr.body);
      const found = pj === undefined ? undefined : followPath(pj, splitPath(poll.statusPath.replace(/^\$\.?/, '')) ?? []);
      const status = found?.found ? String(found.value) : undefined;
      ctx.log.info(`Status: ${status ?? `(no ${poll.statusPath} in the response)`}`);
      if (status !== undefined && poll.success.includes(status)) {
        out.pollStatus = status;
        out.statusCode = pr.status;
        break;
      }
      if (status !== undefined && (poll.failure ?? []).includes(status)) {
        throw new StageError(`${redactUrl(statusUrl)} reported ${poll.statusPath} = ${JSON.stringify(status)}, a failure status`, { pollStatus: status });
      }
      await sleep(interval, ctx.signal);
    }
  }
  return { outputs: out, artifacts };
}

function resolveHeaders(config: WebhookConfig, ctx: StageContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, spec] of Object.entries(config.headers ?? {})) {
    if (typeof spec === 'string') {
      headers[name] = spec;
      continue;
    }
    let value: string;
    if (spec.fromEnv !== undefined) {
      const v = ctx.env[spec.fromEnv];
      if (v === undefined) throw new StageError(`headers.${name}: the environment variable ${spec.fromEnv} is not set; set it from a secret in the step's env`);
      value = v;
    } else if (spec.value !== undefined) value = spec.value;
    else throw new StageError(`headers.${name}: give value or fromEnv`);
    if (spec.secret ?? spec.fromEnv !== undefined) ctx.addSecret(value);
    headers[name] = value;
  }
  return headers;
}

async function callWithRetries(
  ctx: StageContext,
  config: WebhookConfig,
  req: { method: string; url: string; headers: Record<string, string>; body: string | undefined },
): Promise<HttpResponse> {
  const retries = config.retries ?? 3;
  const failFast = config.failFastStatusCodes ?? [504];
  const retryCodes = new Set([429, ...(config.retryStatusCodes ?? [])]);
  let backoff = config.retryBackoff ?? 1000;
  const what = `${req.method} ${redactUrl(req.url)}`;
  for (let attempt = 1; ; attempt++) {
    let res: HttpResponse | undefined;
    let failure: string;
    let wait = backoff;
    try {
      res = await ctx.http.request({
        ...req,
        timeoutMs: config.requestTimeout ?? 30_000,
        maxBodyBytes: config.maxResponseBytes ?? 1024 * 1024,
        signal: ctx.signal,
      });
    } catch (e) {
      if (e instanceof HttpError && e.kind === 'aborted') throw e;
      failure = (e as Error).message;
    }
    if (res) {
      ctx.log.info(`${what} → ${res.status} in ${formatDuration(res.durationMs)}`);
      if (failFast.includes(res.status))
        throw new StageError(`${what} answered ${res.status}, a fail-fast status code: ${snippet(res.body)}`, { statusCode: res.status });
      if (res.status < 400) return res;
      const retryable = res.status >= 500 || retryCodes.has(res.status);
      failure = `${what} answered ${res.status}: ${snippet(res.body)}`;
      if (!retryable) throw new StageError(failure, { statusCode: res.status });
      wait = retryAfterMs(res.headers.get('retry-after')) ?? backoff;
    }
    if (attempt > retries) throw new StageError(`${failure!} (gave up after ${attempt} attempt${attempt > 1 ? 's' : ''})`);
    ctx.log.warn(`${failure!}; retrying in ${formatDuration(wait)} (attempt ${attempt + 1} of ${retries + 1})`);
    await sleep(wait, ctx.signal);
    backoff = Math.min(backoff * 2, 30_000);
  }
}

function snippet(body: string): string {
  const t = body.replace(/\s+/g, ' ').trim();
  if (!t) return '(empty body)';
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

function tryJson(text: string): unknown {
  const t = text.trim();
  if (!t || !'{["'.includes(t[0]!)) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function extractField(json: unknown, path: string, field: string, truncated: boolean): OutputValue {
  if (json === undefined)
    throw new StageError(`${field}: the response is not JSON${truncated ? ' (it was cut at maxResponseBytes; raise the limit)' : ''}, so ${path} cannot be read`);
  const parts = splitPath(path.replace(/^\$\.?/, ''));
  const found = parts ? followPath(json, parts) : { found: false as const, at: path };
  if (!found.found) throw new StageError(`${field}: the response has no field ${path} (missing at ${found.at})`);
  return found.value as OutputValue;
}
