// Reading a kubeconfig. The common cases (client certificates, bearer tokens, token
// files, basic auth, CA data or files, several files in $KUBECONFIG) are read here
// directly: that keeps a Kubernetes stage's start-up at a few milliseconds. Users that
// authenticate through an exec plugin or an auth-provider are handed to
// @kubernetes/client-node, which implements those protocols (loaded only then; it
// costs ~0.4 s to load, BENCHMARKS.md).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type https from 'node:https';
import { parse } from 'yaml';

export interface KubeAccess {
  /** A kubeconfig file; default: $KUBECONFIG (colon-separated, merged as kubectl does), then ~/.kube/config. */
  kubeconfigPath?: string;
  context?: string;
}

export interface Connection {
  server: string;
  namespace: string;
  contextName: string;
  /** Adds TLS material and credentials to request options (per request: tokens can rotate). */
  authorize(opts: https.RequestOptions): Promise<void>;
}

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
type Dict = Record<string, unknown>;

interface Loaded {
  clusters: Map<string, { value: Dict; dir: string }>;
  users: Map<string, { value: Dict; dir: string }>;
  contexts: Map<string, Dict>;
  current?: string;
  files: string[];
}

function load(files: string[]): Loaded {
  const out: Loaded = { clusters: new Map(), users: new Map(), contexts: new Map(), files };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (files.length > 1 && (e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new KubeconfigError(`cannot read the kubeconfig ${file}: ${(e as Error).message}`);
    }
    let doc: { clusters?: Named<Dict>[]; users?: Named<Dict>[]; contexts?: Named<Dict>[]; 'current-context'?: string };
    try {
      doc = (parse(text) ?? {}) as typeof doc;
    } catch (e) {
      throw new KubeconfigError(`the kubeconfig ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    const dir = path.dirname(file);
    // The first file to define a name wins, as with kubectl.
    for (const c of doc.clusters ?? []) if (c?.name && !out.clusters.has(c.name)) out.clusters.set(c.name, { value: c.cluster ?? {}, dir });
    for (const u of doc.users ?? []) if (u?.name && !out.users.has(u.name)) out.users.set(u.name, { value: u.user ?? {}, dir });
    for (const c of doc.contexts ?? []) if (c?.name && !out.contexts.has(c.name)) out.contexts.set(c.name, c.context ?? {});
    out.current ??= doc['current-context'] || undefined;
  }
  return out;
}

const str = (d: Dict, k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);

function material(d: Dict, dir: string, key: string): Buffer | undefined {
  const data = str(d, `${key}-data`);
  if (data) return Buffer.from(data, 'base64');
  const file = str(d, key);
  if (!file) return undefined;
  const full = path.resolve(dir, file);
  try {
    return readFileSync(full);
  } catch (e) {
    throw new KubeconfigError(`cannot read ${key} ${full}: ${(e as Error).message}`);
  }
}

export async function connect(access: KubeAccess, env: NodeJS.ProcessEnv): Promise<Connection> {
  const files = access.kubeconfigPath
    ? [access.kubeconfigPath]
    : env.KUBECONFIG
      ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
      : [path.join(os.homedir(), '.kube', 'config')];
  const cfg = load(files);
  const contextName = access.context ?? cfg.current;
  if (!contextName) throw new KubeconfigError(`the kubeconfig ${files.join(path.delimiter)} has no current context; pass a context`);
  const context = cfg.contexts.get(contextName);
  if (!context)
    throw new KubeconfigError(`the kubeconfig has no context "${contextName}"; it has: ${[...cfg.contexts.keys()].join(', ') || '(none)'}`);
  const cluster = cfg.clusters.get(str(context, 'cluster') ?? '');
  if (!cluster) throw new KubeconfigError(`context "${contextName}" names cluster "${str(context, 'cluster')}", which the kubeconfig does not define`);
  const server = str(cluster.value, 'server')?.replace(/\/+$/, '');
  if (!server) throw new KubeconfigError(`cluster "${str(context, 'cluster')}" has no server URL`);
  const userName = str(context, 'user');
  const user = userName ? cfg.users.get(userName) : undefined;
  if (userName && !user) throw new KubeconfigError(`context "${contextName}" names user "${userName}", which the kubeconfig does not define`);

  const ca = material(cluster.value, cluster.dir, 'certificate-authority');
  const insecure = cluster.value['insecure-skip-tls-verify'] === true;
  const tlsServerName = str(cluster.value, 'tls-server-name');
  const base: https.RequestOptions = { ...(ca ? { ca } : {}), ...(insecure ? { rejectUnauthorized: false } : {}), ...(tlsServerName ? { servername: tlsServerName } : {}) };
  const namespace = str(context, 'namespace') || 'default';

  const u = user?.value ?? {};
  if (u.exec || u['auth-provider']) return viaClientNode(files, contextName, server, namespace);
  const cert = user ? material(u, user.dir, 'client-certificate') : undefined;
  const key = user ? material(u, user.dir, 'client-key') : undefined;
  const tokenFile = str(u, 'tokenFile');
  const basic = str(u, 'username') !== undefined ? Buffer.from(`${str(u, 'username')}:${str(u, 'password') ?? ''}`).toString('base64') : undefined;
  return {
    server,
    namespace,
    contextName,
    async authorize(opts) {
      Object.assign(opts, base, cert ? { cert } : {}, key ? { key } : {});
      const token = tokenFile ? readFileSync(path.resolve(user!.dir, tokenFile), 'utf8').trim() : str(u, 'token');
      const headers = (opts.headers ??= {}) as Record<string, string>;
      if (token) headers.authorization = `Bearer ${token}`;
      else if (basic) headers.authorization = `Basic ${basic}`;
    },
  };
}

async function viaClientNode(files: string[], contextName: string, server: string, namespace: string): Promise<Connection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(files[0]!);
  kc.setCurrentContext(contextName);
  return { server, namespace, contextName, authorize: (opts) => kc.applyToHTTPSOptions(opts) };
}
