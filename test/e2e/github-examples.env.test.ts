// The example workflows that talk to GitHub — the pull request preview and the release by
// workflow_dispatch — run end to end with act (host mode) on the local cluster. GitHub's API
// cannot run here, so act points the workflows at the contract-checked fake of
// test/helpers/github-fake.ts (GITHUB_API_URL and GITHUB_REPOSITORY through `--env`, which
// act lets override its own values; the token through `-s GITHUB_TOKEN`). Every request the
// workflows make is checked against GitHub's OpenAPI description: `violations` must stay
// empty. When the release dispatches smoke.yml, the fake runs that workflow with act too,
// and the run's conclusion is act's result: the chaining is real, only the API is stood in.
// act does not enforce environment protection rules; the approval recorded for the run is
// the fake's, and the pipeline's approval stage checks it. actions/checkout is replaced by
// the offline stand-in (test/fixtures/act/checkout), as in examples.env.test.ts.
import { test, describe, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { act, type ActRun } from '../helpers/act.ts';
import { testEnv, kubectl, getJson, eventually, makeNamespace, freePort } from '../helpers/testenv.ts';
import { startGitHubFake, RunState, type GitHubFake, type RunStep } from '../helpers/github-fake.ts';

const env = testEnv();
const fakes: GitHubFake[] = [];
const namespaces: string[] = [];
after(async () => {
  for (const f of fakes) await f.close();
  for (const n of namespaces) kubectl(env, ['delete', 'namespace', n, '--wait=false', '--ignore-not-found']);
});
afterEach(() => {
  for (const f of fakes) assert.deepEqual(f.violations, [], 'every request the workflows made fits GitHub\'s contract');
});

async function github(): Promise<GitHubFake> {
  const gh = await startGitHubFake({ repository: 'acme/web' });
  fakes.push(gh);
  return gh;
}
const ghEnv = (gh: GitHubFake, extra: Record<string, string> = {}) => ({ GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`, GITHUB_REF: 'refs/heads/main', ...extra });
const sha = (c: string) => c.repeat(40);

describe('examples/workflows/pr-preview.yml with act', () => {
  test('opened → a namespace, a deployment and a comment; synchronize → the new build, the same comment edited; closed → torn down', async () => {
    const gh = await github();
    // A pull request number of this run's own, so its namespace is fresh.
    const pr = 5000 + (process.pid % 4000);
    const ns = `preview-${pr}`;
    namespaces.push(ns);
    const event = (action: string, head: string) => ({
      action,
      number: pr,
      pull_request: { number: pr, state: action === 'closed' ? 'closed' : 'open', head: { sha: head, ref: 'feature/search' }, base: { ref: 'main' } },
      repository: { name: gh.repo, full_name: `${gh.owner}/${gh.repo}`, owner: { login: gh.owner }, default_branch: 'main' },
    });
    const run = (action: string, head: string) =>
      act(env, 'examples/workflows/pr-preview.yml', { event: 'pull_request', payload: event(action, head), env: ghEnv(gh), secrets: { GITHUB_TOKEN: gh.token } });

    const opened = await run('opened', sha('a'));
    assert.equal(opened.status, 0, opened.output.slice(-4000));
    assert.deepEqual(opened.jobs, { deploy: 'succeeded' }, 'the teardown job is skipped');
    assert.match(opened.output, new RegExp(`preview is up at https://pr-${pr}\\.preview\\.example\\.com`));
    assert.equal(getJson(env, ns, 'deployment/web').spec.template.spec.containers[0].image, `ghcr.io/acme/web:${sha('a')}`);
    assert.equal(gh.deployments.length, 1);
    const [first] = gh.deployments;
    assert.deepEqual([first!.environment, first!.sha, first!.transient, first!.production], [`pr-${pr}`, sha('a'), true, false]);
    assert.deepEqual(first!.statuses.map((s) => s.state), ['in_progress', 'success']);
    assert.equal(first!.statuses[1]!.environment_url, `https://pr-${pr}.preview.example.com`);
    assert.equal(gh.comments.length, 1);
    assert.equal(gh.comments[0]!.issue, pr);
    assert.match(gh.comments[0]!.body, new RegExp(`<!-- rollgate-preview:pr-${pr} -->`));
    assert.match(gh.comments[0]!.body, new RegExp(`\\| web \\| \`${sha('a')}\` \\|`));

    const pushed = await run('synchronize', sha('b'));
    assert.equal(pushed.status, 0, pushed.output.slice(-4000));
    assert.equal(getJson(env, ns, 'deployment/web').spec.template.spec.containers[0].image, `ghcr.io/acme/web:${sha('b')}`);
    assert.equal(gh.deployments.length, 2);
    assert.equal(gh.comments.length, 1, 'one comment, edited, not a second one');
    assert.equal(gh.comments[0]!.edits, 1);
    assert.match(gh.comments[0]!.body, new RegExp(`\`${sha('b')}\``));

    const closed = await run('closed', sha('b'));
    assert.equal(closed.status, 0, closed.output.slice(-4000));
    assert.deepEqual(closed.jobs, { teardown: 'succeeded' }, 'the deploy job is skipped');
    await eventually(`namespace ${ns} deleted`, () => {
      const r = kubectl(env, ['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}']);
      return r.status !== 0 || r.stdout === 'Terminating';
    });
    for (const d of gh.deployments) assert.equal(d.statuses.at(-1)!.state, 'inactive', `deployment ${d.id} is marked inactive`);
    assert.match(gh.comments[0]!.body, /torn down/);
  });
});

describe('examples/workflows/release.yml with act', () => {
  /** A loopback port nothing listens on: a smoke test against it fails. */
  async function closedPort(): Promise<string> {
    return `http://127.0.0.1:${await freePort()}`;
  }

  /** The fake runs every dispatched smoke.yml with act; the run completes as act does. */
  function runSmokeWithAct(gh: GitHubFake, vars: Record<string, string>): ActRun[] {
    const done: ActRun[] = [];
    gh.script = (wf, inputs) => {
      const steps: RunStep[] = [{ status: RunState.Queued }, { status: RunState.InProgress }];
      assert.equal(wf.file, 'smoke.yml');
      void act(env, 'examples/workflows/smoke.yml', { inputs: { version: String(inputs.version), environment: String(inputs.environment) }, vars }).then((r) => {
        done.push(r);
        steps.push({ status: RunState.Completed, conclusion: r.status === 0 ? 'success' : 'failure' });
      });
      return steps;
    };
    return done;
  }

  const release = (gh: GitHubFake, inputs: Record<string, string>, runId: string) =>
    act(env, 'examples/workflows/release.yml', { inputs, env: ghEnv(gh, { GITHUB_RUN_ID: runId }), secrets: { GITHUB_TOKEN: gh.token } });

  test('staging: deploy, then the smoke-test workflow runs and passes; no approval is asked for', async () => {
    const gh = await github();
    const smoke = runSmokeWithAct(gh, { STAGING_URL: env.ROLLGATE_SAMPLE_BASELINE_URL, PRODUCTION_URL: await closedPort() });
    const prefix = makeNamespace(env, 'rel');
    namespaces.push(prefix, `${prefix}-staging`);
    const r = await release(gh, { version: '1.4.2', target: 'staging', namespace: prefix }, '4101');
    assert.equal(r.status, 0, r.output.slice(-4000));
    assert.deepEqual(r.jobs, { release: 'succeeded' });
    const web = getJson(env, `${prefix}-staging`, 'deployment/web');
    assert.equal(web.spec.template.spec.containers[0].image, 'ghcr.io/acme/web:1.4.2');
    assert.equal(web.status.readyReplicas, 2);
    assert.equal(gh.runs.length, 1);
    assert.deepEqual([gh.runs[0]!.file, gh.runs[0]!.headBranch, gh.runs[0]!.inputs], ['smoke.yml', 'main', { version: '1.4.2', environment: 'staging' }]);
    assert.equal(smoke.length, 1);
    assert.deepEqual(smoke[0]!.jobs, { smoke: 'succeeded' });
    assert.match(r.output, new RegExp(`released 1\\.4\\.2 to staging; smoke tests passed in https://github\\.com/acme/web/actions/runs/${gh.runs[0]!.id}`));
    assert.equal(gh.calls('GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals').length, 0, 'the approval stage is skipped for staging');
  });

  test('production: the approval is recorded, and a failing smoke test fails the release, naming the run', async () => {
    const gh = await github();
    const smoke = runSmokeWithAct(gh, { STAGING_URL: env.ROLLGATE_SAMPLE_BASELINE_URL, PRODUCTION_URL: await closedPort() });
    gh.approvals.set(4102, [{ environment: 'production', state: 'approved', login: 'release-manager' }]);
    const prefix = makeNamespace(env, 'rel');
    namespaces.push(prefix, `${prefix}-production`);
    const r = await release(gh, { version: '1.4.3', target: 'production', namespace: prefix }, '4102');
    assert.notEqual(r.status, 0);
    assert.deepEqual(r.jobs, { release: 'failed' });
    assert.match(r.output, /approved by release-manager/);
    assert.equal(getJson(env, `${prefix}-production`, 'deployment/web').spec.template.spec.containers[0].image, 'ghcr.io/acme/web:1.4.3');
    assert.deepEqual(smoke[0]!.jobs, { smoke: 'failed' });
    assert.match(r.output, new RegExp(`smoke.yml.*failure.*https://github\\.com/acme/web/actions/runs/${gh.runs[0]!.id}`));
  });

  test('production without an approval for the run: the release stops before anything is deployed', async () => {
    const gh = await github();
    runSmokeWithAct(gh, {});
    const prefix = makeNamespace(env, 'rel');
    const r = await release(gh, { version: '1.4.4', target: 'production', namespace: prefix }, '4103');
    assert.deepEqual(r.jobs, { release: 'failed' });
    assert.match(r.output, /run 4103 has no approval for environment production: the job must declare environment: production/);
    assert.notEqual(kubectl(env, ['get', 'namespace', `${prefix}-production`]).status, 0, 'nothing was deployed');
    assert.equal(gh.runs.length, 0, 'no smoke test was started');
  });
});
