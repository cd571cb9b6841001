// A fake Jenkins on 127.0.0.1, for the jenkins stage's tests: no Jenkins runs here, so the
// fake holds rollgate to Jenkins' documented remote access API
// (https://www.jenkins.io/doc/book/using/remote-access-api/) and records every departure
// from it in `violations`, which the tests assert empty:
//   - only these requests exist: GET /crumbIssuer/api/json; POST /job/<a>/job/<b>/build and
//     .../buildWithParameters (parameters in the query or a form body); GET
//     /queue/item/<n>/api/json; GET /job/.../<n>/api/json; POST /job/.../<n>/stop;
//     POST /queue/cancelItem?id=<n>. Any other path, or another method, is a violation.
//   - every request carries HTTP basic credentials (user + API token); wrong ones get 401.
//   - every POST carries the CSRF crumb in the header the crumb issuer names, together with
//     the session cookie the crumb is bound to (Jenkins ≥ 2.176.2). A POST without any crumb
//     is a violation; a crumb of an expired session gets Jenkins' 403 "No valid crumb".
//     (Jenkins exempts API-token requests from CSRF checks since 2.96; older ones, and
//     Jenkins behind some proxies, do not, so rollgate always sends the crumb.)
// Answers follow Jenkins: 201 with a Location header naming the queue item, queue items
// that wait ("In the quiet period"), then leave with an executable or as cancelled, builds
// that run and end with a result and archived artifacts.
import type http from 'node:http';
import { startServer, type Recorded } from './http-server.ts';

export const Result = { Success: 'SUCCESS', Unstable: 'UNSTABLE', Failure: 'FAILURE', Aborted: 'ABORTED', NotBuilt: 'NOT_BUILT' } as const;
export type Result = (typeof Result)[keyof typeof Result];

/** How one triggered build goes. */
export interface Script {
  /** Queue polls before it leaves the queue. */
  queuePolls?: number;
  /** Leave the queue as cancelled instead of starting. */
  cancelInQueue?: boolean;
  /** Build polls while it is running (Infinity: until stopped). */
  runningPolls?: number;
  result?: Result;
  artifacts?: { fileName: string; relativePath: string }[];
}

export interface FakeJob {
  /** Folder path, e.g. team/app/build. */
  path: string;
  /** Declared parameters; a job without them is started with build, not buildWithParameters. */
  parameters?: string[];
  script?: Script;
}

export interface QueueEntry {
  id: number;
  job: string;
  parameters: Record<string, string>;
  polls: number;
  cancelled: boolean;
  build?: FakeBuild;
}

export interface FakeBuild {
  job: string;
  number: number;
  parameters: Record<string, string>;
  polls: number;
  stopped: boolean;
  script: Script;
}

export interface JenkinsRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface JenkinsFake {
  /** Jenkins' URL, with its context path (/jenkins). */
  url: string;
  user: string;
  token: string;
  jobs: FakeJob[];
  queue: QueueEntry[];
  builds: FakeBuild[];
  requests: JenkinsRequest[];
  violations: string[];
  /** When false, there is no crumb issuer (CSRF protection off): GET /crumbIssuer/api/json is 404. */
  crumbIssuer: boolean;
  /** Forget every session, so the crumbs issued so far stop working. */
  expireSessions(): void;
  /** The next this many crumbs issued are stale at once (their session expires), as behind a proxy that drops cookies. */
  staleCrumbs: number;
  /** Answer the next requests whose path matches with this status. */
  fail(path: RegExp, status: number, times?: number): void;
  env(): Record<string, string>;
  close(): Promise<void>;
}

const CONTEXT = '/jenkins';
const CRUMB_FIELD = 'Jenkins-Crumb';

export async function startJenkinsFake(opts: { jobs?: FakeJob[]; user?: string; token?: string } = {}): Promise<JenkinsFake> {
  const user = opts.user ?? 'deployer';
  const token = opts.token ?? '11a0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
  const sessions = new Map<string, string>(); // session id → crumb
  const failures: { path: RegExp; status: number; times: number }[] = [];
  let nextQueue = 40;
  let nextSession = 1;
  let root = '';

  const fake: JenkinsFake = {
    url: '',
    user,
    token,
    jobs: opts.jobs ?? [
      { path: 'deploy', parameters: ['VERSION', 'TARGET'] },
      { path: 'smoke' },
      { path: 'team/web/release', parameters: ['VERSION'] },
    ],
    queue: [],
    builds: [],
    requests: [],
    violations: [],
    crumbIssuer: true,
    expireSessions: () => sessions.clear(),
    staleCrumbs: 0,
    fail(path, status, times = 1) {
      failures.push({ path, status, times });
    },
    env: () => ({ JENKINS_USER: user, JENKINS_TOKEN: token }),
    close: () => server.close(),
  };

  const html = (res: http.ServerResponse, status: number, title: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/html;charset=utf-8', ...headers });
    res.end(`<html><head><title>${title}</title></head><body><h2>HTTP ERROR ${status} ${title}</h2></body></html>`);
  };
  const json = (res: http.ServerResponse, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  /** /job/a/job/b → a/b; undefined unless the path is a chain of /job/<name>. */
  const jobOf = (p: string): string | undefined => {
    if (!/^(\/job\/[^/]+)+$/.test(p)) return undefined;
    return p
      .split('/job/')
      .slice(1)
      .map((x) => decodeURIComponent(x))
      .join('/');
  };

  const jobUrl = (job: string) => `${root}${job.split('/').map((x) => `/job/${encodeURIComponent(x)}`).join('')}/`;

  function buildBody(b: FakeBuild) {
    const running = !b.stopped && b.polls < (b.script.runningPolls ?? 1);
    const result = b.stopped ? Result.Aborted : running ? null : (b.script.result ?? Result.Success);
    return {
      _class: 'hudson.model.FreeStyleBuild',
      number: b.number,
      url: `${jobUrl(b.job)}${b.number}/`,
      building: running,
      result,
      artifacts: running ? [] : (b.script.artifacts ?? []).map((a) => ({ displayPath: a.fileName, ...a })),
    };
  }

  function queueBody(q: QueueEntry) {
    const task = { _class: 'hudson.model.FreeStyleProject', name: q.job.split('/').at(-1), url: jobUrl(q.job) };
    if (q.cancelled) return { _class: 'hudson.model.Queue$LeftItem', id: q.id, cancelled: true, executable: null, task };
    if (q.build) return { _class: 'hudson.model.Queue$LeftItem', id: q.id, cancelled: false, executable: { _class: 'hudson.model.FreeStyleBuild', number: q.build.number, url: `${jobUrl(q.job)}${q.build.number}/` }, task };
    return {
      _class: q.polls === 0 ? 'hudson.model.Queue$WaitingItem' : 'hudson.model.Queue$BuildableItem',
      id: q.id,
      blocked: false,
      buildable: q.polls > 0,
      stuck: false,
      why: q.polls === 0 ? 'In the quiet period. Expires in 4.9 sec' : 'Waiting for next available executor',
      task,
    };
  }

  function checkCredentials(rec: Recorded, res: http.ServerResponse): boolean {
    const auth = rec.headers.authorization;
    if (!auth) {
      fake.violations.push(`${rec.method} ${rec.url}: no credentials (this Jenkins needs HTTP basic auth with a user and API token)`);
      html(res, 403, 'Authentication required');
      return false;
    }
    const m = /^Basic (.+)$/.exec(auth);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString() : '';
    if (decoded !== `${user}:${token}`) {
      html(res, 401, 'Unauthorized', { 'www-authenticate': 'Basic realm="Jenkins"' });
      return false;
    }
    return true;
  }

  function checkCrumb(rec: Recorded, res: http.ServerResponse): boolean {
    if (!fake.crumbIssuer) return true;
    const sent = rec.headers[CRUMB_FIELD.toLowerCase()];
    if (!sent) {
      fake.violations.push(`${rec.method} ${rec.url}: a POST without the ${CRUMB_FIELD} header (get it from /crumbIssuer/api/json)`);
      html(res, 403, 'No valid crumb was included in the request');
      return false;
    }
    const session = /JSESSIONID\.fake=([^;]+)/.exec(String(rec.headers.cookie ?? ''))?.[1];
    if (!session || sessions.get(session) !== sent) {
      html(res, 403, 'No valid crumb was included in the request');
      return false;
    }
    return true;
  }

  function handle(rec: Recorded, res: http.ServerResponse): void {
    const u = new URL(rec.url, 'http://fake');
    const query = Object.fromEntries(u.searchParams);
    fake.requests.push({ method: rec.method, path: u.pathname, query, headers: rec.headers, body: rec.body, at: rec.at });
    if (!u.pathname.startsWith(`${CONTEXT}/`)) {
      fake.violations.push(`${rec.method} ${u.pathname}: outside Jenkins' context path ${CONTEXT}`);
      return html(res, 404, 'Not Found');
    }
    const p = u.pathname.slice(CONTEXT.length).replace(/\/$/, '') || '/';
    const want = (method: string) => {
      if (rec.method === method) return true;
      fake.violations.push(`${rec.method} ${u.pathname}: Jenkins takes ${method} here`);
      html(res, 405, 'Method Not Allowed');
      return false;
    };
    let m: RegExpExecArray | null;

    if (p === '/crumbIssuer/api/json') {
      if (!want('GET') || !checkCredentials(rec, res)) return;
      if (!fake.crumbIssuer) return html(res, 404, 'Not Found');
      const session = `s${nextSession++}`;
      const crumb = `crumb-${session}-${Math.random().toString(16).slice(2)}`;
      if (fake.staleCrumbs > 0) fake.staleCrumbs--;
      else sessions.set(session, crumb);
      return json(res, { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb, crumbRequestField: CRUMB_FIELD }, { 'set-cookie': `JSESSIONID.fake=${session}; Path=${CONTEXT}; HttpOnly` });
    }

    const failure = failures.find((f) => f.times > 0 && f.path.test(p));
    if ((m = /^(.*)\/(build|buildWithParameters)$/.exec(p)) && jobOf(m[1]!) !== undefined) {
      if (!want('POST') || !checkCredentials(rec, res) || !checkCrumb(rec, res)) return;
      if (failure) {
        failure.times--;
        return html(res, failure.status, 'Server Error');
      }
      const job = fake.jobs.find((j) => j.path === jobOf(m![1]!));
      if (!job) return html(res, 404, 'Not Found');
      const form = String(rec.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(rec.body)) : {};
      if (rec.body && !Object.keys(form).length) fake.violations.push(`POST ${u.pathname}: a body that is not a form (application/x-www-form-urlencoded)`);
      const parameters = { ...query, ...form };
      if (m[2] === 'buildWithParameters' && !job.parameters) return html(res, 400, `${job.path} is not parameterized`);
      const q: QueueEntry = { id: nextQueue++, job: job.path, parameters, polls: 0, cancelled: false };
      fake.queue.push(q);
      res.writeHead(201, { location: `${root}/queue/item/${q.id}/` });
      res.end();
      return;
    }

    if ((m = /^\/queue\/item\/(\d+)\/api\/json$/.exec(p))) {
      if (!want('GET') || !checkCredentials(rec, res)) return;
      if (failure) {
        failure.times--;
        return html(res, failure.status, 'Server Error');
      }
      const q = fake.queue.find((x) => x.id === Number(m![1]));
      if (!q) return html(res, 404, 'Not Found');
      const job = fake.jobs.find((j) => j.path === q.job)!;
      const script = job.script ?? {};
      const body = queueBody(q);
      q.polls++;
      if (!q.build && !q.cancelled && q.polls >= (script.queuePolls ?? 1)) {
        if (script.cancelInQueue) q.cancelled = true;
        else {
          q.build = { job: q.job, number: fake.builds.filter((b) => b.job === q.job).length + 1, parameters: q.parameters, polls: 0, stopped: false, script };
          fake.builds.push(q.build);
        }
      }
      return json(res, body);
    }

    if (p === '/queue/cancelItem') {
      if (!want('POST') || !checkCredentials(rec, res) || !checkCrumb(rec, res)) return;
      const q = fake.queue.find((x) => String(x.id) === query.id);
      if (!query.id) fake.violations.push('POST /queue/cancelItem without the id query parameter');
      if (q && !q.build) q.cancelled = true;
      res.writeHead(204);
      res.end();
      return;
    }

    if ((m = /^(.*)\/(\d+)\/(api\/json|stop)$/.exec(p)) && jobOf(m[1]!) !== undefined) {
      const stopping = m[3] === 'stop';
      if (!want(stopping ? 'POST' : 'GET') || !checkCredentials(rec, res) || (stopping && !checkCrumb(rec, res))) return;
      if (failure) {
        failure.times--;
        return html(res, failure.status, 'Server Error');
      }
      if (query.tree !== undefined && !/^[A-Za-z_,[\]]+$/.test(query.tree)) fake.violations.push(`GET ${u.pathname}: the tree parameter ${query.tree} is not Jenkins' tree syntax`);
      const b = fake.builds.find((x) => x.job === jobOf(m![1]!) && x.number === Number(m![2]));
      if (!b) return html(res, 404, 'Not Found');
      if (stopping) {
        b.stopped = true;
        // Jenkins redirects to the build page.
        res.writeHead(302, { location: `${jobUrl(b.job)}${b.number}/` });
        res.end();
        return;
      }
      const body = buildBody(b);
      b.polls++;
      return json(res, body);
    }

    if ((m = /^(.*)\/(\d+)$/.exec(p)) && jobOf(m[1]!) !== undefined && rec.method === 'GET') {
      // The build page, where /stop redirects to.
      return html(res, 200, `#${m[2]}`);
    }

    fake.violations.push(`${rec.method} ${u.pathname}: not part of Jenkins' remote access API as rollgate uses it`);
    return html(res, 404, 'Not Found');
  }

  const server = await startServer((rec, res) => {
    try {
      handle(rec, res);
    } catch (e) {
      fake.violations.push(`the fake failed on ${rec.method} ${rec.url}: ${(e as Error).stack}`);
      res.writeHead(500);
      res.end();
    }
  });
  root = `${server.url}${CONTEXT}`;
  fake.url = root;
  return fake;
}
