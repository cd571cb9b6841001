// The webhook stage against a real HTTP server on 127.0.0.1.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, json } from '../helpers/http-server.ts';
import { runYaml } from '../helpers/engine.ts';

const servers: { close(): Promise<void> }[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(handler: Parameters<typeof startServer>[0]) {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const stage = (url: string, extra = '') => `
name: p
stages:
  - id: hook
    type: webhook
    url: ${url}
    retryBackoff: 50ms
${extra}`;

describe('webhook', () => {
  test('sends method, headers and a JSON body; outputs status, body, parsed JSON and extracted fields', async () => {
    const s = await server((req, res) => json(res, 201, { id: 'b-42', data: { items: [{ state: 'queued' }] } }));
    const r = await runYaml(
      stage(
        `${s.url}/builds`,
        `    method: PUT
    headers: { X-Team: web }
    body: { version: "1.2.3" }
    extract: { buildId: id, firstState: "data.items[0].state" }`,
      ),
    );
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded');
    assert.equal(s.requests[0]!.method, 'PUT');
    assert.equal(s.requests[0]!.headers['x-team'], 'web');
    assert.equal(s.requests[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(s.requests[0]!.body), { version: '1.2.3' });
    assert.equal(st.outputs.statusCode, 201);
    assert.equal(st.outputs.buildId, 'b-42');
    assert.equal(st.outputs.firstState, 'queued');
    assert.deepEqual((st.outputs.json as { id: string }).id, 'b-42');
  });

  test('retries 5xx and succeeds when the server recovers', async () => {
    const s = await server((req, res, n) => (n < 3 ? json(res, 503, { error: 'busy' }) : json(res, 200, { ok: true })));
    const r = await runYaml(stage(s.url));
    assert.equal(r.report.stages[0]!.status, 'succeeded');
    assert.equal(s.requests.length, 3);
    assert.ok(r.lines.some((l) => /answered 503.*retrying in 50ms \(attempt 2 of 4\)/.test(l)));
  });

  test('honours Retry-After on 429', async () => {
    const s = await server((req, res, n) => (n === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, {})));
    const r = await runYaml(stage(s.url));
    assert.equal(r.report.stages[0]!.status, 'succeeded');
    const gap = s.requests[1]!.at - s.requests[0]!.at;
    assert.ok(gap >= 950, `second attempt came ${gap}ms after the first; Retry-After said 1s`);
  });

  test('gives up after the configured retries with the last answer', async () => {
    const s = await server((req, res) => json(res, 502, { error: 'bad gateway' }));
    const r = await runYaml(stage(s.url, '    retries: 2'));
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.equal(s.requests.length, 3);
    assert.match(r.report.stages[0]!.error!, /answered 502: \{"error":"bad gateway"\} \(gave up after 3 attempts\)/);
  });

  test('a fail-fast status fails at once, without retries (504 by default)', async () => {
    const s = await server((req, res) => json(res, 504, {}));
    const r = await runYaml(stage(s.url));
    assert.equal(s.requests.length, 1);
    assert.match(r.report.stages[0]!.error!, /answered 504, a fail-fast status code/);
    const s2 = await server((req, res) => json(res, 409, { conflict: true }));
    const r2 = await runYaml(stage(s2.url, '    failFastStatusCodes: [409]'));
    assert.equal(s2.requests.length, 1);
    assert.match(r2.report.stages[0]!.error!, /answered 409, a fail-fast status code/);
  });

  test('other 4xx fail without retries', async () => {
    const s = await server((req, res) => json(res, 404, { message: 'no such hook' }));
    const r = await runYaml(stage(s.url));
    assert.equal(s.requests.length, 1);
    assert.match(r.report.stages[0]!.error!, /answered 404: \{"message":"no such hook"\}$/);
  });

  test('a slow server is bounded by requestTimeout', async () => {
    const s = await server((req, res) => setTimeout(() => json(res, 200, {}), 2000));
    const r = await runYaml(stage(s.url, '    requestTimeout: 200ms\n    retries: 1'));
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.match(r.report.stages[0]!.error!, /timed out after 0.2s \(gave up after 2 attempts\)/);
  });

  test('an endless body is cut at maxResponseBytes', async () => {
    const s = await server((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', pump);
      };
      res.on('error', () => undefined);
      pump();
    });
    const r = await runYaml(stage(s.url, '    maxResponseBytes: 100000'));
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded');
    assert.equal(st.outputs.bodyTruncated, true);
    assert.equal((st.outputs.body as string).length, 100000);
  });

  test('a reset connection is retried and then reported plainly', async () => {
    const s = await server((req, res) => res.socket?.destroy());
    const r = await runYaml(stage(s.url, '    retries: 1'));
    assert.equal(s.requests.length, 2);
    assert.match(r.report.stages[0]!.error!, /failed: (the server closed the connection|the connection was reset by the server|other side closed)/);
  });

  test('polls the Location URL until the status field says success', async () => {
    let polls = 0;
    const s = await server((req, res) => {
      if (req.method === 'POST') return json(res, 202, {}, { location: '/jobs/7' });
      polls++;
      json(res, 200, { job: { state: polls < 3 ? 'RUNNING' : 'SUCCEEDED' } });
    });
    const r = await runYaml(
      stage(`${s.url}/jobs`, `    poll: { statusPath: job.state, success: [SUCCEEDED], failure: [FAILED], interval: 50ms }`),
    );
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded');
    assert.equal(st.outputs.pollStatus, 'SUCCEEDED');
    assert.deepEqual(s.requests.map((q) => `${q.method} ${q.url}`), ['POST /jobs', 'GET /jobs/7', 'GET /jobs/7', 'GET /jobs/7']);
  });

  test('polling fails on a failure status, naming it', async () => {
    const s = await server((req, res) =>
      req.method === 'POST' ? json(res, 200, { links: { status: `${s.url}/s` } }) : json(res, 200, { status: 'FAILED' }),
    );
    const r = await runYaml(stage(s.url, '    poll: { statusUrlPath: links.status, statusPath: status, success: [OK], failure: [FAILED], interval: 50ms }'));
    assert.match(r.report.stages[0]!.error!, /reported status = "FAILED", a failure status/);
  });

  test('secret header values never appear in outputs or logs, even when the server echoes them', async () => {
    process.env.TEST_WEBHOOK_TOKEN = 'tok-9f8e7d6c5b4a';
    const s = await server((req, res) => json(res, 500, { echo: req.headers.authorization }));
    const r = await runYaml(
      stage(
        s.url,
        `    retries: 0
    headers:
      Authorization: { fromEnv: TEST_WEBHOOK_TOKEN }
      X-Api-Key: { value: key-0123456789, secret: true }`,
      ),
    );
    assert.equal(s.requests[0]!.headers.authorization, 'tok-9f8e7d6c5b4a');
    assert.equal(s.requests[0]!.headers['x-api-key'], 'key-0123456789');
    const everything = JSON.stringify(r.report) + r.lines.join('\n');
    assert.ok(!everything.includes('tok-9f8e7d6c5b4a'), 'token leaked');
    assert.ok(!everything.includes('key-0123456789'), 'api key leaked');
    assert.match(r.report.stages[0]!.error!, /"echo":"\*\*\*"/);
  });

  test('a fromEnv header whose variable is unset fails with what to do', async () => {
    const r = await runYaml(stage('http://127.0.0.1:9', '    headers: { Authorization: { fromEnv: NOT_SET_ANYWHERE } }'));
    assert.match(r.report.stages[0]!.error!, /environment variable NOT_SET_ANYWHERE is not set; set it from a secret/);
  });

  test('artifacts in the JSON response become the stage\'s products', async () => {
    const s = await server((req, res) => json(res, 200, { artifacts: [{ type: 'docker/image', name: 'ghcr.io/acme/web', version: '7', reference: 'ghcr.io/acme/web:7' }] }));
    const r = await runYaml(stage(s.url));
    assert.deepEqual(r.report.artifacts.map((a) => a.reference), ['ghcr.io/acme/web:7']);
  });
});
