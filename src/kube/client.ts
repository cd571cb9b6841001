// Kubernetes behind one small interface. Requests go out on Node's own https agent with
// keep-alive, so server-side apply, every patch type and discovery work the same for
// built-in kinds and CRDs; the kubeconfig is read by ./kubeconfig.ts.
import http from 'node:http';
import https from 'node:https';
import { retryAfterMs } from '../http/client.ts';
import { networkReason, rawRequest, type RawResponse } from '../http/raw.ts';
import { sleep } from '../util/sleep.ts';
import { connect, KubeconfigError, type KubeAccess } from './kubeconfig.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    creationTimestamp?: string;
    generation?: number;
    resourceVersion?: string;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    [k: string]: unknown;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
  [k: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export const PatchType = { Strategic: 'strategic', Merge: 'merge', Json: 'json' } as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

const CONTENT_TYPE: Record<PatchType | 'apply', string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export const FIELD_MANAGER = 'rollgate';

export interface KubeClient {
  /** Where requests go, for messages. */
  readonly server: string;
  /** The kubeconfig context's namespace, or "default". */
  readonly defaultNamespace: string;
  /** Server-side apply with rollgate's field manager (conflicts forced, as kubectl --server-side --force-conflicts). */
  apply(obj: KubeObject, opts?: { dryRun?: boolean; signal?: AbortSignal }): Promise<KubeObject>;
  /** The object, or undefined when it does not exist. */
  tryGet(ref: ObjectRef, signal?: AbortSignal): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, opts?: { namespace?: string; labelSelector?: string; signal?: AbortSignal }): Promise<KubeObject[]>;
  /**
   * A patch. With `resourceVersion`, only onto that version of the object (optimistic
   * locking): when somebody else wrote it since, the 409 is thrown at once, not retried.
   */
  patch(ref: ObjectRef, body: unknown, type: PatchType, opts?: { dryRun?: boolean; signal?: AbortSignal; resourceVersion?: string }): Promise<KubeObject>;
  /** False when there was nothing to delete. */
  delete(ref: ObjectRef, opts?: { propagationPolicy?: string; gracePeriodSeconds?: number; dryRun?: boolean; signal?: AbortSignal }): Promise<boolean>;
  namespaced(apiVersion: string, kind: string, signal?: AbortSignal): Promise<boolean>;
}

/** An API server error, said with the object it was about. */
/** The patch, carrying the resourceVersion the server must still have (it answers 409 otherwise). */
function withResourceVersion(body: unknown, type: PatchType, resourceVersion: string): unknown {
  if (type === 'json') return [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...(body as unknown[])];
  const b = body as { metadata?: Record<string, unknown> };
  return { ...b, metadata: { ...b.metadata, resourceVersion } };
}

export class KubeError extends Error {
  override name = 'KubeError';
  readonly code: number;
  readonly reason: string;
  constructor(message: string, code: number, reason: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export type { KubeAccess };

const RETRY_CODES = new Set([409, 429, 500, 502, 503, 504]);

export async function createKubeClient(access: KubeAccess = {}, env: NodeJS.ProcessEnv = process.env): Promise<KubeClient> {
  let conn: Awaited<ReturnType<typeof connect>>;
  try {
    conn = await connect(access, env);
  } catch (e) {
    if (e instanceof KubeconfigError) throw new KubeError(e.message, 0, 'Kubeconfig');
    throw e;
  }
  const { server, namespace: defaultNamespace } = conn;
  const isHttps = server.startsWith('https:');
  const agent = isHttps ? new https.Agent({ keepAlive: true, maxSockets: 32 }) : new http.Agent({ keepAlive: true, maxSockets: 32 });

  async function once(method: string, path: string, body: string | undefined, contentType: string | undefined, signal?: AbortSignal) {
    const options: https.RequestOptions = {};
    await conn.authorize(options);
    const headers: Record<string, string> = { accept: 'application/json', ...(contentType ? { 'content-type': contentType } : {}) };
    return rawRequest({ url: server + path, method, headers, body, options, agent, timeoutMs: 60_000, signal });
  }

  /** One request with retries on conflicts, throttling, server errors and lost connections. */
  async function request(method: string, path: string, what: string, o: { body?: unknown; contentType?: string; signal?: AbortSignal; allow404?: boolean; conflictIsFinal?: boolean } = {}) {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    let wait = 250;
    for (let attempt = 1; ; attempt++) {
      let res: RawResponse | undefined;
      let failure: KubeError;
      try {
        res = await once(method, path, body, o.contentType ?? (body ? 'application/json' : undefined), o.signal);
      } catch (e) {
        if (o.signal?.aborted) throw o.signal.reason;
        failure = new KubeError(`${what}: cannot reach the API server at ${server}: ${networkReason(e)}`, 0, 'Unreachable');
      }
      if (res) {
        if (res.status < 300) return res.body ? JSON.parse(res.body) : undefined;
        if (res.status === 404 && o.allow404) return undefined;
        failure = statusError(what, res.status, res.body);
        if (!RETRY_CODES.has(res.status) || (res.status === 409 && o.conflictIsFinal)) throw failure;
        const after = retryAfterMs(typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null);
        if (after !== undefined) wait = Math.min(after, 30_000);
      }
      if (attempt >= 8) throw failure!;
      await sleep(wait, o.signal);
      wait = Math.min(wait * 2, 5000);
    }
  }

  const discovery = new Map<string, Promise<Map<string, { plural: string; namespaced: boolean }>>>();
  async function resource(apiVersion: string, kind: string, signal?: AbortSignal) {
    let p = discovery.get(apiVersion);
    if (!p) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      p = request('GET', path, `discovery of ${apiVersion}`, { signal, allow404: true }).then((list: { resources?: { name: string; kind: string; namespaced: boolean }[] } | undefined) => {
        const m = new Map<string, { plural: string; namespaced: boolean }>();
        for (const r of list?.resources ?? []) if (!r.name.includes('/')) m.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        return m;
      });
      discovery.set(apiVersion, p);
      p.catch(() => discovery.delete(apiVersion));
    }
    const r = (await p).get(kind);
    if (!r) throw new KubeError(`the API server has no kind ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`, 404, 'NotFound');
    return r;
  }

  async function pathOf(ref: { apiVersion: string; kind: string; name?: string; namespace?: string }, signal?: AbortSignal) {
    const r = await resource(ref.apiVersion, ref.kind, signal);
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = r.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? defaultNamespace)}` : '';
    return `${base}${ns}/${r.plural}${ref.name ? `/${encodeURIComponent(ref.name)}` : ''}`;
  }

  const describe = (ref: { kind: string; name: string; namespace?: string }) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  const dry = (d?: boolean) => (d ? '&dryRun=All' : '');

  return {
    server,
    defaultNamespace,
    async apply(obj, opts = {}) {
      const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
      const path = await pathOf(ref, opts.signal);
      return request('PATCH', `${path}?fieldManager=${FIELD_MANAGER}&force=true${dry(opts.dryRun)}`, `apply ${describe(ref)}`, {
        body: obj,
        contentType: CONTENT_TYPE.apply,
        signal: opts.signal,
      });
    },
    async tryGet(ref, signal) {
      return request('GET', await pathOf(ref, signal), `get ${describe(ref)}`, { signal, allow404: true });
    },
    async list(apiVersion, kind, opts = {}) {
      const r = await resource(apiVersion, kind, opts.signal);
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const ns = r.namespaced && opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : '';
      const q = opts.labelSelector ? `?labelSelector=${encodeURIComponent(opts.labelSelector)}` : '';
      const out = (await request('GET', `${base}${ns}/${r.plural}${q}`, `list ${kind}${opts.namespace ? ` in ${opts.namespace}` : ''}`, { signal: opts.signal })) as {
        items: KubeObject[];
      };
      // List items carry no apiVersion/kind; give them back so callers can use them as refs.
      return out.items.map((i) => ({ ...i, apiVersion, kind }));
    },
    async patch(ref, body, type, opts = {}) {
      const path = await pathOf(ref, opts.signal);
      const locked = opts.resourceVersion === undefined ? body : withResourceVersion(body, type, opts.resourceVersion);
      return request('PATCH', `${path}?fieldManager=${FIELD_MANAGER}${dry(opts.dryRun)}`, `patch ${describe(ref)}`, {
        body: locked,
        contentType: CONTENT_TYPE[type],
        signal: opts.signal,
        conflictIsFinal: opts.resourceVersion !== undefined,
      });
    },
    async delete(ref, opts = {}) {
      const path = await pathOf(ref, opts.signal);
      const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
      if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
      if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
      if (opts.dryRun) body.dryRun = ['All'];
      const r = await request('DELETE', path, `delete ${describe(ref)}`, { body, signal: opts.signal, allow404: true });
      return r !== undefined;
    },
    async namespaced(apiVersion, kind, signal) {
      return (await resource(apiVersion, kind, signal)).namespaced;
    },
  };
}

function statusError(what: string, status: number, body: string): KubeError {
  let reason = '';
  let message = body.trim().slice(0, 500);
  try {
    const s = JSON.parse(body) as { reason?: string; message?: string };
    reason = s.reason ?? '';
    message = s.message ?? message;
  } catch {}
  return new KubeError(`${what}: ${status}${reason ? ` ${reason}` : ''}: ${message || '(no message)'}`, status, reason);
}
