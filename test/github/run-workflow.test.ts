// The run-workflow stage against a fake GitHub API checked against GitHub's published
// OpenAPI description (test/helpers/github-fake.ts): GitHub's API cannot run here.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml, testRegistry } from '../helpers/engine.ts';
import { startGitHubFake, setEnv, RunState, type GitHubFake } from '../helpers/github-fake.ts';
import { createRunWorkflowStage } from '../../src/stages/run-workflow.ts';
import { githubClient, type GitHubFactory } from '../../src/github/client.ts';
import { Secrets } from '../../src/log/secrets.ts';

// GitHub's one-second spacing of writes is left out here, and checked once in preview.test.ts.
const unpaced: GitHubFactory = (ctx, o) => githubClient(ctx, { ...o, paceWrites: false, retryBaseMs: 20 });
const registry = { ...testRegistry, 'run-workflow': createRunWorkflowStage({ github: unpaced }) };
const cleanups: (() => Promise<void> | void)[] = [];
let current: GitHubFake | undefined;

afterEach(async () => {
  const fake = current;
  current = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
  assert.deepEqual(fake?.violations ?? [], [], 'requests that break GitHub\'s published contract');
});

async function github(env: Record<string, string | undefined> = {}): Promise<GitHubFake> {
  const fake = await startGitHubFake();
  current = fake;
  cleanups.push(() => fake.close());
  cleanups.push(setEnv({ GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_RUN_ID: '1', GITHUB_EVENT_PATH: undefined, ...fake.env(), ...env }));
  return fake;
}

const pipeline = (fields: string) => `
name: release
stages:
  - id: smoke
    type: run-workflow
${fields
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

const GET_RUN = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
const DISPATCH = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';

describe('run-workflow', () => {
  test('dispatches with return_run_details, follows the run queued → in_progress → completed and outputs it', async () => {
    const gh = await github();
    const r = await runYaml(pipeline('workflow: smoke.yml\ninputs: { version: "1.4.2", environment: staging }\npollInterval: 20ms'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    const [dispatch] = gh.calls(DISPATCH);
    assert.equal(dispatch!.path, '/repos/acme/web/actions/workflows/smoke.yml/dispatches');
    assert.deepEqual(dispatch!.body, { ref: 'main', inputs: { version: '1.4.2', environment: 'staging' }, return_run_details: true });
    const run = gh.runs[0]!;
    assert.deepEqual(st.outputs, { runId: run.id, runUrl: `https://github.com/acme/web/actions/runs/${run.id}`, runStatus: 'completed', conclusion: 'success' });
    assert.equal(gh.calls(GET_RUN).length, 3);
    const statusLines = r.lines.filter((l) => l.startsWith(`Run ${run.id}: `)).map((l) => l.slice(`Run ${run.id}: `.length));
    assert.deepEqual(statusLines, [`https://github.com/acme/web/actions/runs/${run.id}`, 'queued', 'in_progress', 'completed (success)']);
    assert.equal(gh.calls('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs').length, 0, 'the run details made a search unnecessary');
  });

  test('answered 204 (servers before return_run_details), finds the new run among the workflow runs, ignoring older runs and other branches', async () => {
    const gh = await github();
    gh.legacyDispatch = true;
    gh.listCallsBeforeRunAppears = 2;
    const older = gh.addRun({ workflowId: 161335, headBranch: 'main', createdAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z') });
    const otherBranch = gh.addRun({ workflowId: 161335, headBranch: 'release/1.4' });
    const pushRun = gh.addRun({ workflowId: 161335, headBranch: 'main', event: 'push' });
    const r = await runYaml(pipeline('workflow: 161335\npollInterval: 20ms'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    const dispatched = gh.runs.at(-1)!;
    assert.ok(![older.id, otherBranch.id, pushRun.id].includes(dispatched.id));
    assert.equal(st.outputs.runId, dispatched.id);
    const lists = gh.calls('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs');
    assert.equal(lists.length, 3, 'looked again until the run appeared');
    assert.equal(lists[0]!.query.event, 'workflow_dispatch');
    assert.equal(lists[0]!.query.branch, 'main');
    assert.match(lists[0]!.query.created!, /^>=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(r.lines.some((l) => /without naming the run \(204\)/.test(l)));
  });

  test('two parallel dispatches of one workflow answered 204 follow two different runs', async () => {
    const gh = await github();
    gh.legacyDispatch = true;
    const yaml = `
name: twice
stages:
  - { id: a, type: run-workflow, workflow: smoke.yml, pollInterval: 20ms, inputs: { version: "1" } }
  - { id: b, type: run-workflow, workflow: smoke.yml, pollInterval: 20ms, inputs: { version: "2" } }
`;
    const r = await runYaml(yaml, { registry });
    const [a, b] = r.report.stages;
    assert.equal(a!.status, 'succeeded', a!.error);
    assert.equal(b!.status, 'succeeded', b!.error);
    assert.notEqual(a!.outputs.runId, b!.outputs.runId);
    assert.deepEqual(new Set([a!.outputs.runId, b!.outputs.runId]), new Set(gh.runs.map((x) => x.id)));
  });

  test('a run that ends in failure fails the stage, naming the conclusion and the URL', async () => {
    const gh = await github();
    gh.script = () => [{ status: RunState.InProgress }, { status: RunState.Completed, conclusion: 'failure' }];
    const r = await runYaml(pipeline('workflow: smoke.yml\npollInterval: 20ms'), { registry });
    const st = r.report.stages[0]!;
    const id = gh.runs[0]!.id;
    assert.equal(st.status, 'failed');
    assert.equal(st.error, `run ${id} of smoke.yml ended with conclusion failure, not success: https://github.com/acme/web/actions/runs/${id}`);
    assert.equal(st.outputs.conclusion, 'failure');
    assert.equal(st.outputs.runId, id);
  });

  test('cancelling the pipeline stops the waiting at once and cancels the run it started', async () => {
    const gh = await github();
    gh.script = () => [{ status: RunState.Queued }, { status: RunState.InProgress }];
    const controller = new AbortController();
    let abortedAt = 0;
    const timer = setInterval(() => {
      if (gh.calls(GET_RUN).length >= 3 && !abortedAt) {
        abortedAt = performance.now();
        controller.abort();
      }
    }, 5);
    cleanups.push(() => clearInterval(timer));
    const r = await runYaml(pipeline('workflow: smoke.yml\npollInterval: 200ms'), { registry, signal: controller.signal });
    const endedIn = performance.now() - abortedAt;
    assert.equal(r.report.stages[0]!.status, 'cancelled');
    assert.ok(endedIn < 150, `the stage ended ${endedIn.toFixed(0)}ms after the cancellation`);
    const polls = gh.calls(GET_RUN).length;
    await new Promise((res) => setTimeout(res, 450));
    assert.equal(gh.calls(GET_RUN).length, polls, 'no polling after the cancellation');
    assert.equal(gh.runs[0]!.cancelled, true, 'the run the stage started was cancelled');
    assert.ok(r.lines.includes(`Asked GitHub to cancel run ${gh.runs[0]!.id}`));
  });

  test('cancelling during a request ends it at once, without retrying it', async () => {
    const gh = await github();
    gh.script = () => [{ status: RunState.Queued }, { status: RunState.InProgress }];
    const controller = new AbortController();
    let abortedAt = 0;
    let gets = 0;
    gh.onArrive = (method, path) => {
      if (method !== 'GET' || !/\/actions\/runs\/\d+$/.test(path) || ++gets !== 2) return;
      // The second poll is held for 400ms; cancel while it is on its way.
      gh.latencyMs = 400;
      setTimeout(() => {
        gh.latencyMs = 0;
        abortedAt = performance.now();
        controller.abort();
      }, 50);
    };
    const r = await runYaml(pipeline('workflow: smoke.yml\npollInterval: 20ms'), { registry, signal: controller.signal });
    const endedIn = performance.now() - abortedAt;
    assert.equal(r.report.stages[0]!.status, 'cancelled');
    assert.ok(endedIn < 150, `the stage ended ${endedIn.toFixed(0)}ms after the cancellation`);
    await new Promise((res) => setTimeout(res, 600));
    assert.equal(gets, 2, 'the cancelled request was not sent again');
  });

  test('a run still going at waitTimeout fails the stage with its status and URL', async () => {
    const gh = await github();
    gh.script = () => [{ status: RunState.InProgress }];
    const r = await runYaml(pipeline('workflow: smoke.yml\npollInterval: 30ms\nwaitTimeout: 150ms'), { registry });
    const st = r.report.stages[0]!;
    const id = gh.runs[0]!.id;
    assert.equal(st.status, 'failed');
    assert.equal(st.error, `run ${id} is still in_progress after 150ms (waitTimeout); see https://github.com/acme/web/actions/runs/${id}`);
  });

  test('wait: false returns once the run exists, with its status', async () => {
    const gh = await github();
    const r = await runYaml(pipeline('workflow: smoke.yml\nwait: false'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.runStatus, 'queued');
    assert.equal(st.outputs.conclusion, '');
    assert.equal(gh.calls(GET_RUN).length, 1);
  });

  test('the ref defaults to the branch of this run, and to the default branch from a pull request', async () => {
    const gh = await github({ GITHUB_REF: 'refs/heads/release/1.4', GITHUB_REF_NAME: 'release/1.4' });
    let r = await runYaml(pipeline('workflow: smoke.yml\nwait: false'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal((gh.calls(DISPATCH)[0]!.body as { ref: string }).ref, 'release/1.4');
    assert.equal(gh.calls('GET /repos/{owner}/{repo}').length, 0);

    cleanups.push(setEnv({ GITHUB_REF: 'refs/pull/7/merge', GITHUB_REF_NAME: '7/merge' }));
    r = await runYaml(pipeline('workflow: smoke.yml\nwait: false'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal((gh.calls(DISPATCH)[1]!.body as { ref: string }).ref, 'main');
    assert.equal(gh.calls('GET /repos/{owner}/{repo}').length, 1);

    r = await runYaml(pipeline('workflow: smoke.yml\nwait: false\nref: v1.4.2'), { registry });
    assert.equal((gh.calls(DISPATCH)[2]!.body as { ref: string }).ref, 'v1.4.2');
  });

  test('GitHub refusing the inputs fails the stage with its message', async () => {
    await github();
    const r = await runYaml(pipeline('workflow: smoke.yml\ninputs: { versoin: "1" }'), { registry });
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.equal(
      r.report.stages[0]!.error,
      'GitHub answered 422 to POST /repos/acme/web/actions/workflows/smoke.yml/dispatches: Unexpected inputs provided: ["versoin"].',
    );
  });

  test('a token without actions: write gets a message naming the permission', async () => {
    const gh = await github();
    gh.permissions.actions = 'read';
    const r = await runYaml(pipeline('workflow: smoke.yml'), { registry });
    assert.match(r.report.stages[0]!.error!, /^GitHub answered 403 to POST \/repos\/acme\/web\/actions\/workflows\/smoke\.yml\/dispatches: Resource not accessible by integration\. The token likely lacks the permission actions: write/);
  });

  test('an unknown workflow gets a 404 message that says what to check', async () => {
    await github();
    const r = await runYaml(pipeline('workflow: deploy.yml'), { registry });
    assert.match(r.report.stages[0]!.error!, /^GitHub answered 404 to POST \/repos\/acme\/web\/actions\/workflows\/deploy\.yml\/dispatches: Not Found\. Check that it exists and that the token can see it: it needs actions: write/);
  });

  test('no token: the error says where to set one and which permission it needs', async () => {
    await github({ GITHUB_TOKEN: undefined });
    const r = await runYaml(pipeline('workflow: smoke.yml'), { registry });
    assert.match(r.report.stages[0]!.error!, /^no GitHub token: set the action's github-token input .* or, from a terminal, GITHUB_TOKEN; this stage needs the permission actions: write$/);
  });

  test('a 5xx answer is retried', async () => {
    const gh = await github();
    gh.fail(GET_RUN, 502);
    const r = await runYaml(pipeline('workflow: smoke.yml\npollInterval: 20ms'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(gh.calls(GET_RUN).length, 4);
  });

  test('dry run: nothing is sent; the log says what would run', async () => {
    const gh = await github();
    const r = await runYaml(pipeline('workflow: smoke.yml\ninputs: { version: "2" }'), { registry, dryRun: true });
    assert.equal(r.report.stages[0]!.status, 'succeeded');
    assert.equal(gh.requests.length, 0);
    assert.ok(r.lines.includes('dry run: would run smoke.yml of acme/web on main with inputs {"version":"2"}'));
  });

  test('the token never reaches logs, outputs, errors or the report', async () => {
    const gh = await github();
    // A Secrets that registers but does not mask: what is checked is what rollgate writes.
    const registered: string[] = [];
    class Unmasked extends Secrets {
      override add(v: string | undefined) {
        if (v) registered.push(v);
      }
    }
    const ok = await runYaml(pipeline('workflow: smoke.yml\npollInterval: 20ms'), { registry, secrets: new Unmasked() });
    gh.permissions.actions = 'none';
    const denied = await runYaml(pipeline('workflow: smoke.yml'), { registry, secrets: new Unmasked() });
    cleanups.push(setEnv({ GITHUB_TOKEN: 'ghs_wrongTokenAlsoSecret987' }));
    const wrong = await runYaml(pipeline('workflow: smoke.yml'), { registry, secrets: new Unmasked() });
    assert.equal(ok.report.stages[0]!.status, 'succeeded');
    assert.match(denied.report.stages[0]!.error!, /403/);
    assert.match(wrong.report.stages[0]!.error!, /401 .*Bad credentials\. The token is invalid or has expired/);
    for (const r of [ok, denied, wrong]) {
      const written = r.lines.join('\n') + JSON.stringify(r.report);
      assert.ok(!written.includes(gh.token) && !written.includes('ghs_wrongTokenAlsoSecret987'), 'a token was written');
    }
    assert.ok(registered.includes(gh.token), 'the token is registered as a secret so the runner masks it');
    assert.ok(gh.requests.every((q) => q.authorization === `token ${gh.token}` || q.authorization === 'token ghs_wrongTokenAlsoSecret987'));
  });
});
