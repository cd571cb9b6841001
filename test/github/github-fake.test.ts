// The fake GitHub API's contract check can fail: requests that break GitHub's published
// OpenAPI description get a 422 and are recorded. (GitHub's API cannot run here, so the
// other GitHub tests rely on this check.)
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGitHubFake, loadContract, type GitHubFake } from '../helpers/github-fake.ts';

let gh: GitHubFake;
before(async () => {
  gh = await startGitHubFake();
});
after(() => gh.close());

async function send(method: string, path: string, body?: unknown): Promise<{ status: number; json: { message?: string } }> {
  const before = gh.violations.length;
  const res = await fetch(`${gh.url}${path}`, {
    method,
    headers: { authorization: `token ${gh.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(gh.violations.length >= before);
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

const lastViolations = (n: number) => gh.violations.slice(-n);

describe('the fake GitHub API checks requests against the published description', () => {
  test('the description in use documents return_run_details on workflow dispatches', () => {
    const op = loadContract().operations.get('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches')!;
    assert.deepEqual(Object.keys((op.body!.schema.properties as object) ?? {}).sort(), ['inputs', 'ref', 'return_run_details']);
    assert.deepEqual(Object.keys(op.responses).sort(), ['200', '204']);
  });

  test('a path that is no operation of GitHub', async () => {
    const r = await send('GET', '/repos/acme/web/deploymentz');
    assert.equal(r.status, 404);
    assert.deepEqual(lastViolations(1), ["GET /repos/acme/web/deploymentz: no such operation in GitHub's API"]);
  });

  test('a method GitHub does not document on a path', async () => {
    await send('DELETE', '/repos/acme/web/deployments');
    assert.deepEqual(lastViolations(1), ['DELETE /repos/acme/web/deployments: GitHub documents only GET, POST here']);
  });

  test('a body without a required field, with a misspelt one, or with a value outside an enum', async () => {
    let r = await send('POST', '/repos/acme/web/deployments', { enviroment: 'pr-1' });
    assert.equal(r.status, 422);
    assert.match(r.json.message!, /^Invalid request\.\n\nbody\.ref is required\nbody\.enviroment is not a field of this object/);
    assert.deepEqual(lastViolations(2), [
      'POST /repos/acme/web/deployments: body.ref is required',
      'POST /repos/acme/web/deployments: body.enviroment is not a field of this object (known: ref, task, auto_merge, required_contexts, payload, environment, description, transient_environment, production_environment)',
    ]);
    r = await send('POST', '/repos/acme/web/deployments', { ref: 'main', required_contexts: 'ci' });
    assert.deepEqual(lastViolations(1), ['POST /repos/acme/web/deployments: body.required_contexts is "ci"; expected array']);
    gh.deployments.push({ id: 5, ref: 'main', sha: 'a'.repeat(40), environment: 'pr-1', transient: true, production: false, createdAt: '2026-01-01T00:00:00Z', body: {}, statuses: [] });
    r = await send('POST', '/repos/acme/web/deployments/5/statuses', { state: 'done' });
    assert.equal(r.status, 422);
    assert.deepEqual(lastViolations(1), ['POST /repos/acme/web/deployments/5/statuses: body.state is "done"; expected one of ["error","failure","inactive","in_progress","queued","pending","success"]']);
  });

  test('too many workflow inputs, and a body that is not JSON', async () => {
    const inputs = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`in${i}`, 'x']));
    await send('POST', '/repos/acme/web/actions/workflows/smoke.yml/dispatches', { ref: 'main', inputs });
    assert.deepEqual(lastViolations(1), ['POST /repos/acme/web/actions/workflows/smoke.yml/dispatches: body.inputs has 26 properties; at most 25 allowed']);
    const res = await fetch(`${gh.url}/repos/acme/web/issues/1/comments`, { method: 'POST', headers: { authorization: `token ${gh.token}`, 'content-type': 'application/json' }, body: '{body:' });
    assert.equal(res.status, 422);
    assert.deepEqual(lastViolations(1), ['POST /repos/acme/web/issues/1/comments: the body is not JSON']);
  });

  test('a path parameter of the wrong type, and an unknown query parameter', async () => {
    await send('GET', '/repos/acme/web/actions/runs/latest');
    assert.deepEqual(lastViolations(1), ['GET /repos/acme/web/actions/runs/latest: path parameter run_id is "latest"; expected integer']);
    await send('GET', '/repos/acme/web/actions/runs/5/approvals?per_page=10');
    assert.deepEqual(lastViolations(1), ['GET /repos/acme/web/actions/runs/5/approvals: query parameter per_page is not one GitHub documents for GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals (known: none)']);
    await send('GET', '/repos/acme/web/actions/workflows/smoke.yml/runs?status=done');
    assert.match(lastViolations(1)[0]!, /query parameter status is "done"; expected one of \["completed",/);
  });

  test('answers carry the fields the description marks required', async () => {
    gh.comments.push({ id: 77, issue: 3, body: 'hi', edits: 0 });
    const before = gh.violations.length;
    const r = await fetch(`${gh.url}/repos/acme/web/issues/3/comments`, { headers: { authorization: `token ${gh.token}` } });
    const [comment] = (await r.json()) as Record<string, unknown>[];
    assert.equal(gh.violations.length, before);
    for (const field of ['id', 'node_id', 'html_url', 'issue_url', 'user', 'url', 'created_at', 'updated_at']) assert.ok(field in comment!, `${field} is missing`);
    assert.equal((comment!.user as { login: string }).login, 'github-actions[bot]');
  });

  test('credentials are checked before anything else happens', async () => {
    const none = await fetch(`${gh.url}/repos/acme/web`);
    assert.equal(none.status, 401);
    const wrong = await fetch(`${gh.url}/repos/acme/web`, { headers: { authorization: 'token nope' } });
    assert.equal(((await wrong.json()) as { message: string }).message, 'Bad credentials');
  });
});
