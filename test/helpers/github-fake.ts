// A fake GitHub REST API on 127.0.0.1, for the GitHub stages' tests: GitHub's API cannot
// run here, so this fake is checked against GitHub's published contract instead. Every
// request is validated against the OpenAPI description GitHub publishes (the package
// @octokit/openapi): the path must be an operation of the API, required path and query
// parameters must be there and well-typed, unknown query parameters are refused, and the
// JSON body must satisfy the operation's requestBody schema. A request that fails gets a
// 422, as GitHub gives, and is recorded in `violations`, which every test asserts empty.
// Answers use only status codes the description documents for the operation, and their
// bodies carry every field the description marks required (filled in from the schema),
// checked against the response schema too. Behind the check sits a small stateful model:
// workflows and their runs, run approvals, deployments and their statuses, PR comments.
// The description installed (@octokit/openapi 23) already documents the dispatch's
// `return_run_details` flag and its 200 answer (GitHub's change of 2026-02-19), so they are
// checked like everything else; github-fake.test.ts fails if a description without them
// is ever installed, rather than letting the fake accept them unchecked.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type http from 'node:http';
import { startServer, type Recorded } from './http-server.ts';

// ---------------------------------------------------------------------------------------
// The contract: GitHub's OpenAPI description, loaded once per process.

type Schema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  /** 'POST /repos/{owner}/{repo}/deployments' */
  key: string;
  method: string;
  template: string;
  parameters: Parameter[];
  body?: { required: boolean; schema: Schema };
  /** Documented status codes → the JSON schema of the body (undefined when none). */
  responses: Record<string, Schema | undefined>;
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  literals: number;
}

/** The operations the GitHub stages use; the fake serves exactly these. */
export const OPERATIONS = [
  'GET /repos/{owner}/{repo}',
  'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
  'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
  'GET /repos/{owner}/{repo}/actions/runs/{run_id}',
  'GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals',
  'POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel',
  'GET /repos/{owner}/{repo}/deployments',
  'POST /repos/{owner}/{repo}/deployments',
  'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
  'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
] as const;
export type OperationKey = (typeof OPERATIONS)[number];

interface Contract {
  version: string;
  routes: Route[];
  operations: Map<string, Operation>;
}

let contract: Contract | undefined;

export function loadContract(): Contract {
  if (contract) return contract;
  const pkg = createRequire(import.meta.url).resolve('@octokit/openapi/package.json');
  const file = path.join(path.dirname(pkg), 'generated/api.github.com.deref.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    info: { version: string };
    paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  };
  const routes: Route[] = [];
  const operations = new Map<string, Operation>();
  const wanted = new Set<string>(OPERATIONS);
  for (const [template, item] of Object.entries(doc.paths)) {
    const names: string[] = [];
    const regex = new RegExp(
      `^${template
        .split('/')
        .map((seg) => {
          const m = /^\{(.+)\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          return '([^/]+)';
        })
        .join('/')}$`,
    );
    const literals = template.split('/').filter((seg) => seg && !seg.startsWith('{')).length;
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const M = method.toUpperCase();
      routes.push({ method: M, template, regex, names, literals });
      const key = `${M} ${template}`;
      if (!wanted.has(key)) continue;
      const json = op.requestBody?.content['application/json'];
      operations.set(key, {
        key,
        method: M,
        template,
        parameters: op.parameters ?? [],
        body: json ? { required: op.requestBody!.required ?? false, schema: json.schema } : undefined,
        responses: Object.fromEntries(Object.entries(op.responses).map(([code, r]) => [code, r.content?.['application/json']?.schema])),
      });
    }
  }
  for (const key of wanted) if (!operations.has(key)) throw new Error(`GitHub's description ${doc.info.version} has no operation ${key}`);
  // More literal segments first: /issues/comments/{id} is not /issues/{number}/comments.
  routes.sort((a, b) => b.literals - a.literals);
  contract = { version: doc.info.version, routes, operations };
  return contract;
}

// ---------------------------------------------------------------------------------------
// A validator for the part of JSON Schema (OpenAPI 3.0 dialect) these operations use:
// type, nullable, properties, required, additionalProperties, enum, items, oneOf, anyOf,
// allOf, maxLength, minLength, maxProperties, minItems, maxItems.

export function validate(schema: Schema | undefined, value: unknown, at: string, problems: string[], opts: { closed: boolean }): void {
  if (!schema || Object.keys(schema).length === 0) return;
  if (value === null) {
    if (schema.nullable === true || schema.type === 'null') return;
    if (schema.oneOf || schema.anyOf) {
      const alts = (schema.oneOf ?? schema.anyOf) as Schema[];
      if (alts.some((a) => a.nullable === true || a.type === 'null')) return;
    }
    problems.push(`${at} is null; expected ${describe(schema)}`);
    return;
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) validate(s, value, at, problems, opts);
  for (const kw of ['oneOf', 'anyOf'] as const) {
    const alts = schema[kw] as Schema[] | undefined;
    if (!alts) continue;
    const passing = alts.filter((a) => {
      const p: string[] = [];
      validate(a, value, at, p, opts);
      return p.length === 0;
    }).length;
    if (passing === 0) problems.push(`${at} matches none of ${alts.map(describe).join(' | ')}`);
    else if (kw === 'oneOf' && passing > 1) problems.push(`${at} matches more than one of ${alts.map(describe).join(' | ')}`);
  }
  const type = schema.type as string | undefined;
  if (type && !hasType(value, type)) {
    problems.push(`${at} is ${JSON.stringify(value)}; expected ${describe(schema)}`);
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at} is ${JSON.stringify(value)}; expected one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) problems.push(`${at} is ${value.length} characters; at most ${schema.maxLength} allowed`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) problems.push(`${at} is ${value.length} characters; at least ${schema.minLength} needed`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) problems.push(`${at} has ${value.length} items; at least ${schema.minItems} needed`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) problems.push(`${at} has ${value.length} items; at most ${schema.maxItems} allowed`);
    if (schema.items) value.forEach((v, i) => validate(schema.items as Schema, v, `${at}[${i}]`, problems, opts));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) problems.push(`${at}.${r} is required`);
    if (typeof schema.maxProperties === 'number' && Object.keys(obj).length > schema.maxProperties)
      problems.push(`${at} has ${Object.keys(obj).length} properties; at most ${schema.maxProperties} allowed`);
    const extra = schema.additionalProperties;
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) validate(props[k], v, `${at}.${k}`, problems, opts);
      else if (extra === false || (extra === undefined && opts.closed && schema.properties))
        problems.push(`${at}.${k} is not a field of this ${schema.properties ? `object (known: ${Object.keys(props).join(', ')})` : 'object'}`);
      else if (extra && typeof extra === 'object') validate(extra as Schema, v, `${at}.${k}`, problems, opts);
    }
  }
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return true;
  }
}

function describe(s: Schema): string {
  if (Array.isArray(s.enum)) return `one of ${JSON.stringify(s.enum)}`;
  if (s.oneOf || s.anyOf) return ((s.oneOf ?? s.anyOf) as Schema[]).map(describe).join(' or ');
  return `${String(s.type ?? 'any value')}${s.nullable ? ' or null' : ''}`;
}

/** A query or path parameter arrives as text; it is checked as the type it stands for. */
function validateParam(p: Parameter, text: string, problems: string[]): void {
  const alternatives = ((p.schema?.oneOf ?? p.schema?.anyOf) as Schema[] | undefined) ?? [p.schema ?? {}];
  const ok = alternatives.some((s) => {
    const value = s.type === 'integer' || s.type === 'number' ? (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text) : s.type === 'boolean' ? (text === 'true' ? true : text === 'false' ? false : text) : text;
    const sub: string[] = [];
    validate(s, value, p.name, sub, { closed: false });
    return sub.length === 0;
  });
  if (!ok) problems.push(`${p.in} parameter ${p.name} is ${JSON.stringify(text)}; expected ${alternatives.map(describe).join(' or ')}`);
}

/** A value of the schema's shape holding just its required fields, for answers. */
export function sample(schema: Schema | undefined): unknown {
  if (!schema) return {};
  if (schema.nullable === true) return null;
  const alts = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alts?.length) return sample(alts[0]);
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...(schema.allOf as Schema[]).map((s) => sample(s)));
  if (Array.isArray(schema.enum)) return schema.enum[0];
  switch (schema.type) {
    case 'string':
      return schema.format === 'date-time' ? '2026-01-01T00:00:00Z' : schema.format === 'uri' ? 'https://api.github.com/' : 'x';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default: {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required ?? []) as string[]) out[r] = sample(props[r]);
      return out;
    }
  }
}

/** The value with every field the schema requires added where the model left it out. */
export function fill(schema: Schema | undefined, value: unknown): unknown {
  if (!schema || value === null || value === undefined) return value;
  const alts = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alts?.length) return fill(alts.find((a) => hasType(value, String(a.type ?? ''))) ?? alts[0], value);
  if (Array.isArray(value)) return schema.items ? value.map((v) => fill(schema.items as Schema, v)) : value;
  if (typeof value !== 'object') return value;
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const r of (schema.required ?? []) as string[]) out[r] = sample(props[r]);
  for (const [k, v] of Object.entries(value)) out[k] = fill(props[k], v);
  return out;
}

// ---------------------------------------------------------------------------------------
// The model behind the contract.

export const RunState = { Queued: 'queued', InProgress: 'in_progress', Completed: 'completed' } as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

export interface RunStep {
  status: RunState;
  conclusion?: string;
}

export interface Workflow {
  id: number;
  /** File name in .github/workflows. */
  file: string;
  /** Declared workflow_dispatch inputs; others are refused as GitHub does. */
  inputs?: string[];
}

export interface Run {
  id: number;
  workflowId: number;
  file: string;
  event: string;
  headBranch: string;
  createdAt: string;
  inputs: Record<string, unknown>;
  /** Each GET of the run moves one step on; the last step stays. */
  steps: RunStep[];
  polls: number;
  /** Listings leave the run out until this many list calls have been made (GitHub lags). */
  hiddenUntilList?: number;
  /** Cancelled through the API. */
  cancelled?: boolean;
}

export interface Deployment {
  id: number;
  ref: string;
  sha: string;
  environment: string;
  transient: boolean;
  production: boolean;
  createdAt: string;
  body: Record<string, unknown>;
  statuses: { id: number; state: string; environment_url?: string; log_url?: string; description?: string; createdAt: string }[];
}

export interface Comment {
  id: number;
  issue: number;
  body: string;
  edits: number;
}

export interface ApprovalSpec {
  environment: string;
  state: 'approved' | 'rejected' | 'pending';
  login: string;
  comment?: string;
}

const Scope = { Actions: 'actions', Deployments: 'deployments', PullRequests: 'pull-requests', Issues: 'issues', Metadata: 'metadata' } as const;
type Scope = (typeof Scope)[keyof typeof Scope];
export type Access = 'none' | 'read' | 'write';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  operation?: string;
  authorization?: string;
  /** performance.now() when it arrived. */
  at: number;
}

export interface GitHubFake {
  /** The API base URL: set GITHUB_API_URL to it. */
  url: string;
  token: string;
  owner: string;
  repo: string;
  version: string;
  requests: FakeRequest[];
  /** Requests that broke the contract, and answers of the fake that would have. */
  violations: string[];
  workflows: Workflow[];
  runs: Run[];
  deployments: Deployment[];
  comments: Comment[];
  approvals: Map<number, ApprovalSpec[]>;
  branches: Set<string>;
  permissions: Record<Scope, Access>;
  /** Answer 204 to dispatches (servers before 2026-02-19) instead of the run's details. */
  legacyDispatch: boolean;
  /** With legacyDispatch: the run shows up in listings only after this many list calls. */
  listCallsBeforeRunAppears: number;
  /** Milliseconds before each answer. */
  latencyMs: number;
  /** Called as each request arrives, before the latency. */
  onArrive?: (method: string, path: string) => void;
  /** The steps a dispatched run goes through. */
  script: (workflow: Workflow, inputs: Record<string, unknown>) => RunStep[];
  /** Answer the next requests of an operation with this status (simulated outages). */
  fail(operation: OperationKey, status: number, times?: number): void;
  /** Env vars that point the GitHub stages at this fake. */
  env(): Record<string, string>;
  addRun(r: Partial<Run> & { workflowId: number; headBranch: string }): Run;
  calls(operation: OperationKey): FakeRequest[];
  close(): Promise<void>;
}

/** Ids are unique across fakes, as GitHub's are: rollgate remembers the runs it claimed. */
let nextId = 1000;
const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function startGitHubFake(opts: { token?: string; repository?: string } = {}): Promise<GitHubFake> {
  const c = loadContract();
  const [owner, repo] = (opts.repository ?? 'acme/web').split('/') as [string, string];
  const token = opts.token ?? 'ghs_fakeTokenForTests0123456789';
  const failures: { op: string; status: number; times: number }[] = [];
  let listCalls = 0;
  let base = '';

  const fake: GitHubFake = {
    url: '',
    token,
    owner,
    repo,
    version: c.version,
    requests: [],
    violations: [],
    workflows: [
      { id: 161335, file: 'smoke.yml', inputs: ['version', 'environment'] },
      { id: 161336, file: 'release.yml' },
    ],
    runs: [],
    deployments: [],
    comments: [],
    approvals: new Map(),
    branches: new Set(['main', 'release/1.4', 'v1.4.2']),
    permissions: { actions: 'write', deployments: 'write', 'pull-requests': 'write', issues: 'write', metadata: 'read' },
    legacyDispatch: false,
    listCallsBeforeRunAppears: 0,
    latencyMs: 0,
    script: () => [{ status: RunState.Queued }, { status: RunState.InProgress }, { status: RunState.Completed, conclusion: 'success' }],
    fail(operation, status, times = 1) {
      failures.push({ op: operation, status, times });
    },
    env() {
      return { GITHUB_API_URL: fake.url, GITHUB_REPOSITORY: `${owner}/${repo}`, GITHUB_TOKEN: token, GITHUB_SERVER_URL: 'https://github.com' };
    },
    addRun(r) {
      const wf = fake.workflows.find((w) => w.id === r.workflowId)!;
      const run: Run = { id: nextId++, file: wf.file, event: 'workflow_dispatch', createdAt: nowIso(), inputs: {}, steps: [{ status: RunState.Completed, conclusion: 'success' }], polls: 0, ...r };
      fake.runs.push(run);
      return run;
    },
    calls(operation) {
      return fake.requests.filter((r) => r.operation === operation);
    },
    close: () => server.close(),
  };

  const htmlRun = (id: number) => `https://github.com/${owner}/${repo}/actions/runs/${id}`;

  function runBody(r: Run): Record<string, unknown> {
    const step = r.steps[Math.min(r.polls, r.steps.length - 1)]!;
    return {
      id: r.id,
      name: r.file.replace(/\.ya?ml$/, ''),
      path: `.github/workflows/${r.file}`,
      workflow_id: r.workflowId,
      event: r.event,
      head_branch: r.headBranch,
      status: step.status,
      conclusion: step.conclusion ?? null,
      created_at: r.createdAt,
      updated_at: r.createdAt,
      html_url: htmlRun(r.id),
      url: `${base}/repos/${owner}/${repo}/actions/runs/${r.id}`,
    };
  }

  function deploymentBody(d: Deployment): Record<string, unknown> {
    return {
      id: d.id,
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      transient_environment: d.transient,
      production_environment: d.production,
      task: 'deploy',
      payload: {},
      description: null,
      created_at: d.createdAt,
      updated_at: d.createdAt,
      url: `${base}/repos/${owner}/${repo}/deployments/${d.id}`,
      statuses_url: `${base}/repos/${owner}/${repo}/deployments/${d.id}/statuses`,
      creator: userBody('github-actions[bot]'),
    };
  }

  function commentBody(cm: Comment): Record<string, unknown> {
    return {
      id: cm.id,
      body: cm.body,
      html_url: `https://github.com/${owner}/${repo}/pull/${cm.issue}#issuecomment-${cm.id}`,
      issue_url: `${base}/repos/${owner}/${repo}/issues/${cm.issue}`,
      url: `${base}/repos/${owner}/${repo}/issues/comments/${cm.id}`,
      user: userBody('github-actions[bot]'),
    };
  }

  function userBody(login: string): Record<string, unknown> {
    return { login, id: login.length, type: login.endsWith('[bot]') ? 'Bot' : 'User', html_url: `https://github.com/${login}` };
  }

  const scopeOf = (op: Operation): Scope =>
    op.template.includes('/actions/') ? Scope.Actions : op.template.includes('/deployments') ? Scope.Deployments : op.template.includes('/comments') ? Scope.PullRequests : Scope.Metadata;

  function allowed(op: Operation): boolean {
    const need: Access = op.method === 'GET' ? 'read' : 'write';
    const rank = { none: 0, read: 1, write: 2 } as const;
    const scope = scopeOf(op);
    const have = scope === Scope.PullRequests ? Math.max(rank[fake.permissions['pull-requests']], rank[fake.permissions.issues]) : rank[fake.permissions[scope]];
    return have >= rank[need];
  }

  function answer(res: http.ServerResponse, op: Operation | undefined, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    let out = body;
    if (op) {
      if (!(String(status) in op.responses)) fake.violations.push(`the fake answered ${status} to ${op.key}, a status GitHub does not document for it`);
      const schema = op.responses[String(status)];
      if (schema && body !== undefined) {
        const filled = fill(schema, body);
        const problems: string[] = [];
        validate(schema, filled, 'response', problems, { closed: false });
        for (const p of problems) fake.violations.push(`the fake's ${status} answer to ${op.key}: ${p}`);
        out = filled;
      }
    }
    if (out === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(out));
  }

  const error = (res: http.ServerResponse, op: Operation | undefined, status: number, message: string) =>
    answer(res, op, status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });

  /** The page the request asks for, with GitHub's Link header. */
  function page<T>(req: FakeRequest, items: T[]): { items: T[]; headers: Record<string, string> } {
    const perPage = Math.min(Number(req.query.per_page ?? 30), 100);
    const n = Number(req.query.page ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const q = new URLSearchParams({ ...req.query, page: String(p), per_page: String(perPage) });
      return `<${base}${req.path}?${q}>`;
    };
    const headers: Record<string, string> = {};
    if (n < last) headers.link = `${link(n + 1)}; rel="next", ${link(last)}; rel="last"`;
    return { items: items.slice((n - 1) * perPage, n * perPage), headers };
  }

  function handle(rec: Recorded, res: http.ServerResponse): void {
    const u = new URL(rec.url, 'http://fake');
    const reqPath = u.pathname;
    const query = Object.fromEntries(u.searchParams);
    const route = c.routes.find((r) => r.method === rec.method && r.regex.test(reqPath));
    const fr: FakeRequest = { method: rec.method, path: reqPath, query, body: undefined, authorization: rec.headers.authorization, at: rec.at };
    fake.requests.push(fr);
    if (!route) {
      const other = c.routes.filter((r) => r.regex.test(reqPath)).map((r) => r.method);
      fake.violations.push(`${rec.method} ${reqPath}: ${other.length ? `GitHub documents only ${[...new Set(other)].join(', ')} here` : 'no such operation in GitHub\'s API'}`);
      return error(res, undefined, 404, 'Not Found');
    }
    const key = `${route.method} ${route.template}`;
    fr.operation = key;
    const op = c.operations.get(key);
    if (!op) {
      fake.violations.push(`${key} is GitHub's, but not one the GitHub stages are meant to use (add it to OPERATIONS and the model)`);
      return error(res, undefined, 404, 'Not Found');
    }
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(route.regex.exec(reqPath)![i + 1]!)]));

    // The contract.
    const problems: string[] = [];
    for (const p of op.parameters) {
      if (p.in === 'path') validateParam(p, params[p.name] ?? '', problems);
      if (p.in === 'query') {
        if (query[p.name] !== undefined) validateParam(p, query[p.name]!, problems);
        else if (p.required) problems.push(`query parameter ${p.name} is required`);
      }
    }
    const known = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const q of Object.keys(query)) if (!known.has(q)) problems.push(`query parameter ${q} is not one GitHub documents for ${key} (known: ${[...known].join(', ') || 'none'})`);
    if (rec.body) {
      if (!op.body) problems.push(`${key} takes no request body, but one was sent`);
      else if (!String(rec.headers['content-type'] ?? '').startsWith('application/json')) problems.push(`the body is sent as ${rec.headers['content-type'] ?? 'no content type'}; expected application/json`);
      else {
        try {
          fr.body = JSON.parse(rec.body);
          validate(op.body.schema, fr.body, 'body', problems, { closed: true });
        } catch {
          problems.push('the body is not JSON');
        }
      }
    } else if (op.body?.required) problems.push(`${key} requires a JSON body`);
    if (problems.length) {
      for (const p of problems) fake.violations.push(`${rec.method} ${reqPath}: ${p}`);
      return error(res, undefined, 422, `Invalid request.\n\n${problems.join('\n')}`);
    }

    // Behaviour that is not the contract: credentials, permissions, outages.
    const auth = rec.headers.authorization;
    if (!auth) return answer(res, undefined, 401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) return answer(res, undefined, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    if (params.owner !== owner || params.repo !== repo) return error(res, undefined, 404, 'Not Found');
    if (!allowed(op)) return answer(res, undefined, 403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest', status: '403' });
    const failure = failures.find((f) => f.op === key && f.times > 0);
    if (failure) {
      failure.times--;
      return answer(res, undefined, failure.status, { message: 'Server Error' });
    }
    serve(op, params, fr, res);
  }

  function serve(op: Operation, params: Record<string, string>, req: FakeRequest, res: http.ServerResponse): void {
    const body = (req.body ?? {}) as Record<string, unknown>;
    switch (op.key as OperationKey) {
      case 'GET /repos/{owner}/{repo}':
        return answer(res, op, 200, { name: repo, full_name: `${owner}/${repo}`, default_branch: 'main', owner: userBody(owner) });

      case 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches': {
        const wf = fake.workflows.find((w) => String(w.id) === params.workflow_id || w.file === params.workflow_id);
        if (!wf) return error(res, undefined, 404, 'Not Found');
        const ref = String(body.ref).replace(/^refs\/(heads|tags)\//, '');
        if (!fake.branches.has(ref)) return error(res, undefined, 422, `No ref found for: ${body.ref}`);
        const inputs = (body.inputs ?? {}) as Record<string, unknown>;
        const unexpected = wf.inputs ? Object.keys(inputs).filter((k) => !wf.inputs!.includes(k)) : [];
        if (unexpected.length) return error(res, undefined, 422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
        const run = fake.addRun({ workflowId: wf.id, headBranch: ref, inputs, steps: fake.script(wf, inputs) });
        if (fake.legacyDispatch || body.return_run_details !== true) {
          listCalls = 0;
          run.hiddenUntilList = fake.listCallsBeforeRunAppears;
          return answer(res, op, 204);
        }
        return answer(res, op, 200, { workflow_run_id: run.id, run_url: `${base}/repos/${owner}/${repo}/actions/runs/${run.id}`, html_url: htmlRun(run.id) });
      }

      case 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs': {
        const wf = fake.workflows.find((w) => String(w.id) === params.workflow_id || w.file === params.workflow_id);
        if (!wf) return error(res, undefined, 404, 'Not Found');
        listCalls++;
        const since = /^>=(.+)$/.exec(req.query.created ?? '')?.[1];
        const runs = fake.runs
          .filter((r) => r.workflowId === wf.id)
          .filter((r) => (r.hiddenUntilList ?? 0) < listCalls)
          .filter((r) => !req.query.event || r.event === req.query.event)
          .filter((r) => !req.query.branch || r.headBranch === req.query.branch)
          .filter((r) => !since || Date.parse(r.createdAt) >= Date.parse(since))
          .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
        const p = page(req, runs);
        return answer(res, op, 200, { total_count: runs.length, workflow_runs: p.items.map(runBody) }, p.headers);
      }

      case 'GET /repos/{owner}/{repo}/actions/runs/{run_id}': {
        const run = fake.runs.find((r) => String(r.id) === params.run_id);
        if (!run) return error(res, undefined, 404, 'Not Found');
        const out = runBody(run);
        run.polls++;
        return answer(res, op, 200, out);
      }

      case 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel': {
        const run = fake.runs.find((r) => String(r.id) === params.run_id);
        if (!run) return error(res, undefined, 404, 'Not Found');
        const step = run.steps[Math.min(run.polls, run.steps.length - 1)]!;
        if (step.status === RunState.Completed) return error(res, op, 409, 'Cannot cancel a workflow run that is completed.');
        run.steps = [{ status: RunState.Completed, conclusion: 'cancelled' }];
        run.polls = 0;
        run.cancelled = true;
        return answer(res, op, 202, {});
      }

      case 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals': {
        const list = fake.approvals.get(Number(params.run_id)) ?? [];
        return answer(
          res,
          op,
          200,
          list.map((a, i) => ({
            environments: [{ id: 100 + i, name: a.environment, url: `${base}/repos/${owner}/${repo}/environments/${a.environment}`, html_url: `https://github.com/${owner}/${repo}/deployments/activity_log?environments_filter=${a.environment}` }],
            state: a.state,
            user: userBody(a.login),
            comment: a.comment ?? '',
          })),
        );
      }

      case 'POST /repos/{owner}/{repo}/deployments': {
        const ref = String(body.ref);
        const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : fake.branches.has(ref) ? 'a'.repeat(40) : undefined;
        if (!sha) return error(res, op, 422, `No ref found for: ${ref}`);
        const d: Deployment = {
          id: nextId++,
          ref,
          sha,
          environment: String(body.environment ?? 'production'),
          transient: body.transient_environment === true,
          production: body.production_environment === true,
          createdAt: nowIso(),
          body,
          statuses: [],
        };
        fake.deployments.push(d);
        return answer(res, op, 201, deploymentBody(d));
      }

      case 'GET /repos/{owner}/{repo}/deployments': {
        const list = fake.deployments
          .filter((d) => !req.query.environment || d.environment === req.query.environment)
          .filter((d) => !req.query.ref || d.ref === req.query.ref)
          .filter((d) => !req.query.sha || d.sha === req.query.sha)
          .sort((a, b) => b.id - a.id);
        const p = page(req, list);
        return answer(res, op, 200, p.items.map(deploymentBody), p.headers);
      }

      case 'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': {
        const d = fake.deployments.find((x) => String(x.id) === params.deployment_id);
        if (!d) return error(res, op, 404, 'Not Found');
        const p = page(req, [...d.statuses].reverse());
        return answer(res, op, 200, p.items.map((st) => statusBody(d, st)), p.headers);
      }

      case 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': {
        const d = fake.deployments.find((x) => String(x.id) === params.deployment_id);
        if (!d) return error(res, undefined, 404, 'Not Found');
        const st = {
          id: nextId++,
          state: String(body.state),
          environment_url: body.environment_url as string | undefined,
          log_url: body.log_url as string | undefined,
          description: body.description as string | undefined,
          createdAt: nowIso(),
        };
        d.statuses.push(st);
        return answer(res, op, 201, statusBody(d, st));
      }

      case 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': {
        const p = page(req, fake.comments.filter((cm) => String(cm.issue) === params.issue_number));
        return answer(res, op, 200, p.items.map(commentBody), p.headers);
      }

      case 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': {
        const cm: Comment = { id: nextId++, issue: Number(params.issue_number), body: String(body.body), edits: 0 };
        fake.comments.push(cm);
        return answer(res, op, 201, commentBody(cm));
      }

      case 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': {
        const cm = fake.comments.find((x) => String(x.id) === params.comment_id);
        if (!cm) return error(res, undefined, 404, 'Not Found');
        cm.body = String(body.body);
        cm.edits++;
        return answer(res, op, 200, commentBody(cm));
      }
    }
  }

  function statusBody(d: Deployment, st: Deployment['statuses'][number]): Record<string, unknown> {
    return {
      id: st.id,
      state: st.state,
      description: st.description ?? '',
      environment: d.environment,
      environment_url: st.environment_url ?? '',
      log_url: st.log_url ?? '',
      target_url: st.log_url ?? '',
      created_at: st.createdAt,
      updated_at: st.createdAt,
      deployment_url: `${base}/repos/${owner}/${repo}/deployments/${d.id}`,
      repository_url: `${base}/repos/${owner}/${repo}`,
      url: `${base}/repos/${owner}/${repo}/deployments/${d.id}/statuses/${st.id}`,
      creator: userBody('github-actions[bot]'),
    };
  }

  const server = await startServer((rec, res) => {
    fake.onArrive?.(rec.method, rec.url);
    const go = () => {
      try {
        handle(rec, res);
      } catch (e) {
        fake.violations.push(`the fake failed on ${rec.method} ${rec.url}: ${(e as Error).stack}`);
        res.writeHead(500);
        res.end();
      }
    };
    if (fake.latencyMs > 0) setTimeout(go, fake.latencyMs);
    else go();
  });
  base = server.url;
  fake.url = server.url;
  return fake;
}

export { setEnv } from './env-vars.ts';
