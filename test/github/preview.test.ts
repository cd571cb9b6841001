// The preview stage against a fake GitHub API checked against GitHub's published
// OpenAPI description (test/helpers/github-fake.ts): GitHub's API cannot run here.
import { test, describe, afterEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runYaml, testRegistry } from '../helpers/engine.ts';
import { startGitHubFake, setEnv, type GitHubFake } from '../helpers/github-fake.ts';
import { createPreviewStage, preview } from '../../src/stages/preview.ts';
import { githubClient, type GitHubFactory } from '../../src/github/client.ts';

// GitHub's one-second spacing of writes is left out here, and checked once in preview.test.ts.
const unpaced: GitHubFactory = (ctx, o) => githubClient(ctx, { ...o, paceWrites: false, retryBaseMs: 20 });
const registry = { ...testRegistry, preview: createPreviewStage({ github: unpaced }) };
const HEAD = '0123456789abcdef0123456789abcdef01234567';
const dir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-preview-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: (() => Promise<void> | void)[] = [];
let current: GitHubFake | undefined;

afterEach(async () => {
  const fake = current;
  current = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
  assert.deepEqual(fake?.violations ?? [], [], "requests that break GitHub's published contract");
});

/** A fake GitHub and a pull_request event for PR #12 whose head is HEAD. */
async function github(env: Record<string, string | undefined> = {}): Promise<GitHubFake> {
  const fake = await startGitHubFake();
  current = fake;
  const event = path.join(dir, `event-${Math.random()}.json`);
  writeFileSync(event, JSON.stringify({ action: 'synchronize', number: 12, pull_request: { number: 12, head: { sha: HEAD, ref: 'feature/login' } } }));
  cleanups.push(() => fake.close());
  cleanups.push(setEnv({ ...fake.env(), GITHUB_EVENT_PATH: event, GITHUB_RUN_ID: '777', GITHUB_SHA: 'f'.repeat(40), ...env }));
  return fake;
}

const pipeline = (fields: string) => `
name: preview
stages:
  - id: preview
    type: preview
${fields
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

const DEPLOY = 'action: deploy\nurl: https://pr-12.preview.example.com\nversions: { web: "1.4.2", api: "2.0.0-rc.1" }';
const RUN_URL = 'https://github.com/acme/web/actions/runs/777';
const MARKER = '<!-- rollgate-preview:pr-12 -->';

const states = (gh: GitHubFake, i = 0) => gh.deployments[i]!.statuses.map((s) => s.state);

describe('preview', () => {
  test('deploy records a transient deployment of the PR head, in_progress then success with the URL, and comments once', async () => {
    const gh = await github();
    const r = await runYaml(pipeline(DEPLOY), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(gh.deployments.length, 1);
    const d = gh.deployments[0]!;
    assert.deepEqual(d.body, {
      ref: HEAD,
      environment: 'pr-12',
      description: 'Preview of 0123456',
      transient_environment: true,
      production_environment: false,
      auto_merge: false,
      required_contexts: [],
    });
    assert.deepEqual(
      d.statuses.map((s) => [s.state, s.environment_url, s.log_url]),
      [
        ['in_progress', undefined, RUN_URL],
        ['success', 'https://pr-12.preview.example.com', RUN_URL],
      ],
    );
    assert.equal(gh.comments.length, 1);
    const body = gh.comments[0]!.body;
    assert.equal(gh.comments[0]!.issue, 12);
    assert.ok(body.startsWith(`${MARKER}\n### ✅ Preview \`pr-12\` is up\n`), body);
    assert.ok(body.includes('**URL:** https://pr-12.preview.example.com'));
    assert.ok(body.includes('| Component | Version |\n| --- | --- |\n| web | `1.4.2` |\n| api | `2.0.0-rc.1` |'));
    assert.ok(body.includes(`Commit \`0123456\` · [log](${RUN_URL}) · updated `));
    assert.deepEqual(st.outputs, { deploymentId: d.id, environment: 'pr-12', url: 'https://pr-12.preview.example.com', state: 'success', commentId: gh.comments[0]!.id });
    const written = r.lines.join('\n') + JSON.stringify(r.report);
    assert.ok(!written.includes(gh.token), 'the token was written');
  });

  test('a second run edits the same comment: one comment in total', async () => {
    const gh = await github();
    gh.comments.push({ id: 1, issue: 12, body: 'LGTM', edits: 0 });
    const first = await runYaml(pipeline(DEPLOY), { registry });
    const second = await runYaml(pipeline('url: https://pr-12.preview.example.com\nversions: { web: "1.4.3" }'), { registry });
    assert.equal(second.report.stages[0]!.status, 'succeeded', second.report.stages[0]!.error);
    const ours = gh.comments.filter((c) => c.body.includes(MARKER));
    assert.equal(ours.length, 1);
    assert.equal(ours[0]!.edits, 1);
    assert.ok(ours[0]!.body.includes('| web | `1.4.3` |'));
    assert.ok(!ours[0]!.body.includes('1.4.2'));
    assert.equal(gh.comments.find((c) => c.id === 1)!.body, 'LGTM', "someone else's comment is left alone");
    assert.equal(first.report.stages[0]!.outputs.commentId, second.report.stages[0]!.outputs.commentId);
    assert.equal(gh.calls('POST /repos/{owner}/{repo}/issues/{issue_number}/comments').length, 1);
    assert.equal(gh.calls('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}').length, 1);
    assert.equal(gh.deployments.length, 2);
  });

  test('the marked comment is found past the first page of comments', async () => {
    const gh = await github();
    for (let i = 0; i < 130; i++) gh.comments.push({ id: 10 + i, issue: 12, body: `comment ${i}`, edits: 0 });
    gh.comments.push({ id: 500, issue: 12, body: `${MARKER}\nold`, edits: 0 });
    const r = await runYaml(pipeline(DEPLOY), { registry });
    assert.equal(r.report.stages[0]!.outputs.commentId, 500);
    assert.equal(gh.comments.find((c) => c.id === 500)!.edits, 1);
    const lists = gh.calls('GET /repos/{owner}/{repo}/issues/{issue_number}/comments');
    assert.deepEqual(lists.map((l) => l.query.page ?? '1'), ['1', '2']);
  });

  test('failed: true records a failed deployment and says so in the comment', async () => {
    const gh = await github();
    const r = await runYaml(pipeline(`${DEPLOY}\nfailed: true`), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.deepEqual(states(gh), ['in_progress', 'failure']);
    assert.ok(gh.comments[0]!.body.includes('### ❌ Preview `pr-12` failed to deploy'));
    assert.equal(r.report.stages[0]!.outputs.state, 'failure');
  });

  test('deploy with state in_progress, then status success sets the newest deployment and updates the comment', async () => {
    const gh = await github();
    const yaml = `
name: preview
stages:
  - { id: start, type: preview, state: in_progress }
  - { id: done, type: preview, dependsOn: [start], action: status, state: success, url: "https://pr-12.preview.example.com" }
`;
    const r = await runYaml(yaml, { registry });
    assert.equal(r.report.result, 'succeeded', r.report.stages.map((s) => s.error).join(' '));
    assert.equal(gh.deployments.length, 1);
    assert.deepEqual(states(gh), ['in_progress', 'success']);
    assert.equal(gh.comments.length, 1);
    assert.ok(gh.comments[0]!.body.includes('is up'));
    assert.equal(r.report.stages[1]!.outputs.deploymentId, gh.deployments[0]!.id);
  });

  test('status with no deployment yet says what to run first', async () => {
    await github();
    const r = await runYaml(pipeline('action: status\nstate: success'), { registry });
    assert.equal(r.report.stages[0]!.error, 'pr-12 has no deployment yet; run a preview stage with action: deploy (state: in_progress) before one with action: status');
  });

  test('teardown marks every deployment of the environment inactive and updates the comment', async () => {
    const gh = await github();
    await runYaml(pipeline(DEPLOY), { registry });
    await runYaml(pipeline(DEPLOY), { registry });
    gh.deployments.push({ ...gh.deployments[0]!, id: 99, environment: 'pr-13', statuses: [] });
    const r = await runYaml(pipeline('action: teardown'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.deepEqual(states(gh, 0), ['in_progress', 'success', 'inactive']);
    assert.deepEqual(states(gh, 1), ['in_progress', 'success', 'inactive']);
    assert.deepEqual(gh.deployments.find((d) => d.id === 99)!.statuses, [], 'another environment is left alone');
    assert.equal(st.outputs.deactivated, 2);
    assert.equal(gh.comments.length, 1);
    assert.ok(gh.comments[0]!.body.startsWith(`${MARKER}\n### 🧹 Preview \`pr-12\` was torn down\n`));
    assert.ok(!gh.comments[0]!.body.includes('**URL:**'));
    // Again: nothing left to deactivate.
    const again = await runYaml(pipeline('action: teardown'), { registry });
    assert.equal(again.report.stages[0]!.outputs.deactivated, 0);
    assert.deepEqual(states(gh, 0), ['in_progress', 'success', 'inactive']);
  });

  test('teardown without an earlier comment writes none', async () => {
    const gh = await github();
    const r = await runYaml(pipeline('action: teardown'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(gh.comments.length, 0);
    assert.equal(r.report.stages[0]!.outputs.commentId, 0);
  });

  test('comment: false writes no comment; a template fills its placeholders', async () => {
    const gh = await github();
    await runYaml(pipeline(`${DEPLOY}\ncomment: false`), { registry });
    assert.equal(gh.calls('GET /repos/{owner}/{repo}/issues/{issue_number}/comments').length, 0);
    assert.equal(gh.comments.length, 0);
    const r = await runYaml(pipeline(`${DEPLOY}\ncomment: "Preview of {{ sha }} on {{environment}} ({{state}}): {{url}}\\n{{versions}}"`), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(gh.comments[0]!.body, `${MARKER}\nPreview of 0123456 on pr-12 (success): https://pr-12.preview.example.com\n| Component | Version |\n| --- | --- |\n| web | \`1.4.2\` |\n| api | \`2.0.0-rc.1\` |`);
  });

  test('an unknown placeholder and fields of another action are configuration errors', async () => {
    await github();
    await assert.rejects(runYaml(pipeline('comment: "see {{link}}"'), { registry }), /stages\[0\]\.comment has the placeholder \{\{link\}\}; expected one of \{\{environment\}\}/);
    await assert.rejects(runYaml(pipeline('action: status'), { registry }), /stages\[0\]\.state is required with action: status/);
    await assert.rejects(runYaml(pipeline('action: deploy\nnamespace: preview'), { registry }), /stages\[0\]\.namespace is for action: teardown, not deploy/);
    await assert.rejects(runYaml(pipeline('action: teardown\nkinds: [Deployment]'), { registry }), /stages\[0\]\.labelSelector is required with kinds/);
  });

  test('pullRequest and environment fields win over the event; ref then falls back to GITHUB_SHA', async () => {
    const gh = await github();
    const r = await runYaml(pipeline('pullRequest: 40\nenvironment: review-40\nurl: https://review-40.example.com'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(gh.deployments[0]!.environment, 'review-40');
    assert.equal(gh.deployments[0]!.ref, 'f'.repeat(40));
    assert.equal(gh.comments[0]!.issue, 40);
    assert.ok(gh.comments[0]!.body.startsWith('<!-- rollgate-preview:review-40 -->'));
  });

  test('outside a pull request, without environment, the stage says what to set', async () => {
    const gh = await github({ GITHUB_EVENT_PATH: undefined });
    const r = await runYaml(pipeline(DEPLOY), { registry });
    assert.match(r.report.stages[0]!.error!, /^no preview environment: set environment or pullRequest, or run the stage on a pull_request event/);
    assert.equal(gh.requests.length, 0);
  });

  test('a token that may not comment gets a message naming pull-requests: write', async () => {
    const gh = await github();
    gh.permissions['pull-requests'] = 'read';
    gh.permissions.issues = 'none';
    const r = await runYaml(pipeline(DEPLOY), { registry });
    assert.match(
      r.report.stages[0]!.error!,
      /^GitHub answered 403 to POST \/repos\/acme\/web\/issues\/12\/comments: Resource not accessible by integration\. The token likely lacks the permission pull-requests: write \(or issues: write\)/,
    );
  });

  test('the stage as registered spaces its writes a second apart, as GitHub asks of integrations', async () => {
    const gh = await github();
    const r = await runYaml(pipeline(`${DEPLOY}\ncomment: false`), { registry: { ...testRegistry, preview } });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    const writes = gh.requests.filter((q) => q.method !== 'GET');
    assert.equal(writes.length, 3);
    for (let i = 1; i < writes.length; i++) {
      const gap = writes[i]!.at - writes[i - 1]!.at;
      assert.ok(gap >= 950, `write ${i + 1} came ${gap.toFixed(0)}ms after the one before`);
    }
  });

  test('dry run: nothing is written to GitHub', async () => {
    const gh = await github();
    const r = await runYaml(pipeline(DEPLOY), { registry, dryRun: true });
    assert.equal(r.report.stages[0]!.status, 'succeeded');
    assert.equal(gh.requests.length, 0);
    assert.ok(
      r.lines.includes(`dry run: would record a deployment of ${HEAD} to pr-12 (transient), in_progress then success at https://pr-12.preview.example.com, and write or update its comment on pull request #12`),
    );
  });
});
