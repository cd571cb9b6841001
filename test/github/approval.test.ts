// The approval stage against a fake GitHub API checked against GitHub's published
// OpenAPI description (test/helpers/github-fake.ts): GitHub's API cannot run here.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml, testRegistry } from '../helpers/engine.ts';
import { startGitHubFake, setEnv, type GitHubFake, type ApprovalSpec } from '../helpers/github-fake.ts';
import { createApprovalStage } from '../../src/stages/approval.ts';
import { githubClient, type GitHubFactory } from '../../src/github/client.ts';

// GitHub's one-second spacing of writes is left out here, and checked once in preview.test.ts.
const unpaced: GitHubFactory = (ctx, o) => githubClient(ctx, { ...o, paceWrites: false, retryBaseMs: 20 });
const registry = { ...testRegistry, approval: createApprovalStage({ github: unpaced }) };
const RUN_ID = 424242;
const cleanups: (() => Promise<void> | void)[] = [];
let current: GitHubFake | undefined;

afterEach(async () => {
  const fake = current;
  current = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
  assert.deepEqual(fake?.violations ?? [], [], "requests that break GitHub's published contract");
});

async function github(approvals: ApprovalSpec[], env: Record<string, string | undefined> = {}): Promise<GitHubFake> {
  const fake = await startGitHubFake();
  current = fake;
  fake.approvals.set(RUN_ID, approvals);
  cleanups.push(() => fake.close());
  cleanups.push(setEnv({ ...fake.env(), GITHUB_RUN_ID: String(RUN_ID), GITHUB_ACTOR: 'dana', GITHUB_TRIGGERING_ACTOR: undefined, ...env }));
  return fake;
}

const pipeline = (fields: string) => `
name: release
stages:
  - id: gate
    type: approval
${fields
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

describe('approval', () => {
  test('records the approver, the comment and the environment, and writes an escaped summary', async () => {
    const gh = await github([
      { environment: 'staging', state: 'approved', login: 'erin' },
      { environment: 'Production', state: 'approved', login: 'alice', comment: 'ship it <b>now</b> & "fast"' },
    ]);
    const r = await runYaml(pipeline('environment: production'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.deepEqual(st.outputs.approvers, ['alice']);
    assert.equal(st.outputs.comment, 'ship it <b>now</b> & "fast"');
    assert.equal(st.outputs.environment, 'Production');
    assert.equal(st.outputs.runId, RUN_ID);
    assert.ok(Math.abs(Date.parse(String(st.outputs.checkedAt)) - Date.now()) < 10_000);
    assert.equal(
      st.summary,
      '<p>✅ Deployment to <b>Production</b> approved</p>\n<ul><li><a href="https://github.com/alice">@alice</a>: <q>ship it &#60;b&#62;now&#60;/b&#62; &#38; &#34;fast&#34;</q></li></ul>',
    );
    assert.equal(gh.calls('GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals')[0]!.path, `/repos/acme/web/actions/runs/${RUN_ID}/approvals`);
  });

  test('no approval at all fails the stage: the gate is misconfigured', async () => {
    await github([]);
    const r = await runYaml(pipeline('environment: production'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.match(st.error!, /^run 424242 has no approval for environment production: the job must declare environment: production, and the environment must have required reviewers/);
    assert.match(st.summary!, /^<p>❌ No valid approval for <b>production<\/b>/);
  });

  test('approvals for another environment only fail the stage and are named', async () => {
    await github([{ environment: 'staging', state: 'approved', login: 'erin' }]);
    const r = await runYaml(pipeline('environment: production'), { registry });
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.equal(
      r.report.stages[0]!.error,
      "run 424242 has approvals for staging but none for production; check that this job declares environment: production and that the stage's environment field names it",
    );
  });

  test('a rejection is reported as such', async () => {
    await github([{ environment: 'production', state: 'rejected', login: 'bob', comment: 'not today' }]);
    const r = await runYaml(pipeline('environment: production'), { registry });
    assert.equal(r.report.stages[0]!.error, 'run 424242: the deployment to production was rejected by bob');
  });

  test('requireApprovers: an approval from someone else does not count', async () => {
    await github([{ environment: 'production', state: 'approved', login: 'alice' }]);
    let r = await runYaml(pipeline('environment: production\nrequireApprovers: [bob, carol]'), { registry });
    assert.equal(r.report.stages[0]!.error, 'production was approved by alice, none of whom is in requireApprovers (bob, carol)');
    r = await runYaml(pipeline('environment: production\nrequireApprovers: [Alice]'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
  });

  test('forbidSelfApproval: the one who started (or re-ran) the run cannot be the only approver', async () => {
    await github([{ environment: 'production', state: 'approved', login: 'dana' }]);
    let r = await runYaml(pipeline('environment: production\nforbidSelfApproval: true'), { registry });
    assert.equal(r.report.stages[0]!.error, 'production was approved only by dana, who started this run; forbidSelfApproval wants an approval from someone else');

    cleanups.push(setEnv({ GITHUB_ACTOR: 'someone', GITHUB_TRIGGERING_ACTOR: 'dana' }));
    r = await runYaml(pipeline('environment: production\nforbidSelfApproval: true'), { registry });
    assert.equal(r.report.stages[0]!.status, 'failed');

    current!.approvals.set(RUN_ID, [
      { environment: 'production', state: 'approved', login: 'dana' },
      { environment: 'production', state: 'approved', login: 'bob', comment: 'ok' },
    ]);
    r = await runYaml(pipeline('environment: production\nforbidSelfApproval: true'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.deepEqual(r.report.stages[0]!.outputs.approvers, ['bob']);
    assert.equal(r.report.stages[0]!.outputs.comment, 'ok');
  });

  test('outside a workflow run (no GITHUB_RUN_ID) the stage says where it runs', async () => {
    const gh = await github([], { GITHUB_RUN_ID: undefined });
    const r = await runYaml(pipeline('environment: production'), { registry });
    assert.match(r.report.stages[0]!.error!, /^GITHUB_RUN_ID is not set; the approval stage reads the approvals of the current workflow run/);
    assert.equal(gh.requests.length, 0);
  });

  test('a token without actions: read gets a message naming the permission', async () => {
    const gh = await github([]);
    gh.permissions.actions = 'none';
    const r = await runYaml(pipeline('environment: production'), { registry });
    assert.match(r.report.stages[0]!.error!, /^GitHub answered 403 to GET \/repos\/acme\/web\/actions\/runs\/424242\/approvals: Resource not accessible by integration\. The token likely lacks the permission actions: read/);
  });

  test('the environment field is required', async () => {
    await github([]);
    await assert.rejects(runYaml(pipeline('requireApprovers: [bob]'), { registry }), /stages\[0\]\.environment is required/);
  });
});
