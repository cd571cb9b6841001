// The jenkins stage against a fake Jenkins that holds it to Jenkins' documented remote
// access API (test/helpers/jenkins-fake.ts): no Jenkins runs here.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml, testRegistry } from '../helpers/engine.ts';
import { startJenkinsFake, Result, type JenkinsFake, type FakeJob } from '../helpers/jenkins-fake.ts';
import { jenkins } from '../../src/stages/jenkins.ts';
import { setEnv } from '../helpers/env-vars.ts';
import { Secrets } from '../../src/log/secrets.ts';

const registry = { ...testRegistry, jenkins };
const cleanups: (() => Promise<void> | void)[] = [];
let current: JenkinsFake | undefined;

afterEach(async () => {
  const fake = current;
  current = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
  assert.deepEqual(fake?.violations ?? [], [], "requests outside Jenkins' remote access API");
});


async function jenkinsFake(jobs?: FakeJob[]): Promise<JenkinsFake> {
  const fake = await startJenkinsFake({ jobs });
  current = fake;
  cleanups.push(() => fake.close());
  cleanups.push(setEnv(fake.env()));
  return fake;
}

const pipeline = (fake: JenkinsFake, fields: string) => `
name: ci
stages:
  - id: build
    type: jenkins
    url: ${fake.url}
    user: { fromEnv: JENKINS_USER }
    token: { fromEnv: JENKINS_TOKEN }
    pollInterval: 20ms
${fields
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

const posts = (fake: JenkinsFake) => fake.requests.filter((r) => r.method === 'POST');

describe('jenkins', () => {
  test('triggers with parameters, follows the queue item and the build to SUCCESS, and turns archived files into artifacts', async () => {
    const fake = await jenkinsFake([
      { path: 'deploy', parameters: ['VERSION', 'TARGET'], script: { queuePolls: 2, runningPolls: 2, artifacts: [{ fileName: 'app.jar', relativePath: 'target/app.jar' }, { fileName: 'notes v1.txt', relativePath: 'docs/notes v1.txt' }] } },
    ]);
    const r = await runYaml(pipeline(fake, 'job: deploy\nparameters: { VERSION: "1.4.2", TARGET: staging }'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    const [trigger] = posts(fake);
    assert.equal(trigger!.path, '/jenkins/job/deploy/buildWithParameters');
    assert.equal(trigger!.body, 'VERSION=1.4.2&TARGET=staging');
    assert.equal(trigger!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(String(trigger!.headers['jenkins-crumb']), /^crumb-s1-/);
    assert.equal(trigger!.headers.cookie, 'JSESSIONID.fake=s1');
    assert.equal(trigger!.headers.authorization, `Basic ${Buffer.from(`${fake.user}:${fake.token}`).toString('base64')}`);
    assert.deepEqual(fake.builds[0]!.parameters, { VERSION: '1.4.2', TARGET: 'staging' });
    const buildUrl = `${fake.url}/job/deploy/1/`;
    assert.deepEqual(st.outputs, { buildNumber: 1, buildUrl, result: 'SUCCESS', artifacts: ['target/app.jar', 'docs/notes v1.txt'] });
    assert.deepEqual(st.artifacts, [
      { type: 'jenkins/artifact', name: 'target/app.jar', reference: `${buildUrl}artifact/target/app.jar`, version: '1', metadata: { job: 'deploy', buildNumber: 1, fileName: 'app.jar' } },
      { type: 'jenkins/artifact', name: 'docs/notes v1.txt', reference: `${buildUrl}artifact/docs/notes%20v1.txt`, version: '1', metadata: { job: 'deploy', buildNumber: 1, fileName: 'notes v1.txt' } },
    ]);
    const log = r.lines.join('\n');
    assert.match(log, /Queued deploy with parameters \{"VERSION":"1.4.2","TARGET":"staging"\}: http:\/\/127\.0\.0\.1:\d+\/jenkins\/queue\/item\/\d+\//);
    assert.match(log, /Waiting in the queue: In the quiet period\. Expires in 4\.9 sec\n.*Waiting in the queue: Waiting for next available executor/);
    assert.match(log, /Build #1 is running/);
  });

  test('a job without parameters is started with build', async () => {
    const fake = await jenkinsFake();
    const r = await runYaml(pipeline(fake, 'job: smoke'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(posts(fake)[0]!.path, '/jenkins/job/smoke/build');
    assert.equal(posts(fake)[0]!.body, '');
  });

  test('a job in folders: a/b/c becomes /job/a/job/b/job/c', async () => {
    const fake = await jenkinsFake();
    const r = await runYaml(pipeline(fake, 'job: team/web/release\nparameters: { VERSION: 2 }'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(posts(fake)[0]!.path, '/jenkins/job/team/job/web/job/release/buildWithParameters');
    assert.ok(fake.requests.some((q) => q.path === '/jenkins/job/team/job/web/job/release/1/api/json'));
    assert.equal(r.report.stages[0]!.outputs.buildUrl, `${fake.url}/job/team/job/web/job/release/1/`);
  });

  test('FAILURE fails the stage, naming the result and the build URL', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { result: Result.Failure } }]);
    const r = await runYaml(pipeline(fake, 'job: deploy'), { registry });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.equal(st.error, `build #1 of deploy ended FAILURE: ${fake.url}/job/deploy/1/`);
    assert.equal(st.outputs.result, 'FAILURE');
  });

  test('UNSTABLE fails unless markUnstableAsSuccessful', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { result: Result.Unstable } }]);
    let r = await runYaml(pipeline(fake, 'job: deploy'), { registry });
    assert.equal(r.report.stages[0]!.error, `build #1 of deploy ended UNSTABLE (set markUnstableAsSuccessful to accept it): ${fake.url}/job/deploy/1/`);
    r = await runYaml(pipeline(fake, 'job: deploy\nmarkUnstableAsSuccessful: true'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(r.report.stages[0]!.outputs.result, 'UNSTABLE');
  });

  test('a queue item cancelled in Jenkins fails the stage', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { cancelInQueue: true } }]);
    const r = await runYaml(pipeline(fake, 'job: deploy'), { registry });
    const id = fake.queue[0]!.id;
    assert.equal(r.report.stages[0]!.error, `the queued build of deploy was cancelled in Jenkins (${fake.url}/queue/item/${id}/) before it started`);
    assert.equal(fake.builds.length, 0);
  });

  test('without a crumb issuer (CSRF protection off) the POST goes without a crumb', async () => {
    const fake = await jenkinsFake();
    fake.crumbIssuer = false;
    const r = await runYaml(pipeline(fake, 'job: smoke'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(posts(fake)[0]!.headers['jenkins-crumb'], undefined);
  });

  test('a crumb whose session expired is refused once, then a fresh one is fetched', async () => {
    const fake = await jenkinsFake();
    fake.staleCrumbs = 1;
    const r = await runYaml(pipeline(fake, 'job: smoke'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(fake.requests.filter((q) => q.path === '/jenkins/crumbIssuer/api/json').length, 2);
    assert.equal(posts(fake).length, 2);
    assert.equal(fake.queue.length, 1);
  });

  test('a crumb refused every time fails with a hint about the session cookie', async () => {
    const fake = await jenkinsFake();
    fake.staleCrumbs = 2;
    const r = await runYaml(pipeline(fake, 'job: smoke'), { registry });
    assert.match(r.report.stages[0]!.error!, /^Jenkins answered 403 to POST http:\/\/127\.0\.0\.1:\d+\/jenkins\/job\/smoke\/build: No valid crumb was included in the request\. Jenkins refused the CSRF crumb even after a fresh one; check that no proxy drops the session cookie\.$/);
  });

  test('a build still running at waitTimeout fails the stage and says it goes on', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { queuePolls: 1, runningPolls: Infinity } }]);
    const r = await runYaml(pipeline(fake, 'job: deploy\nwaitTimeout: 250ms'), { registry });
    assert.equal(r.report.stages[0]!.error, `build #1 of deploy is still running after 250ms (waitTimeout); it goes on in Jenkins: ${fake.url}/job/deploy/1/`);
  });

  test('a build stuck in the queue at waitTimeout fails the stage with the reason Jenkins gives', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { queuePolls: Infinity } }]);
    const r = await runYaml(pipeline(fake, 'job: deploy\nwaitTimeout: 200ms'), { registry });
    assert.match(r.report.stages[0]!.error!, /^deploy is still in the Jenkins queue after 200ms \(waitTimeout\): Waiting for next available executor; see http:\/\/.*\/jenkins\/queue\/item\/\d+\/$/);
  });

  test('cancelling the pipeline stops the running build in Jenkins', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { runningPolls: Infinity } }]);
    const controller = new AbortController();
    const timer = setInterval(() => {
      if ((fake.builds[0]?.polls ?? 0) >= 2) controller.abort();
    }, 5);
    cleanups.push(() => clearInterval(timer));
    const r = await runYaml(pipeline(fake, 'job: deploy'), { registry, signal: controller.signal });
    assert.equal(r.report.stages[0]!.status, 'cancelled');
    assert.ok(fake.builds[0]!.stopped, 'the build was stopped');
    assert.equal(posts(fake).at(-1)!.path, '/jenkins/job/deploy/1/stop');
    assert.ok(r.lines.includes('Stopped build #1 of deploy'));
  });

  test('cancelling while queued cancels the queue item', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { queuePolls: Infinity } }]);
    const controller = new AbortController();
    const timer = setInterval(() => {
      if ((fake.queue[0]?.polls ?? 0) >= 2) controller.abort();
    }, 5);
    cleanups.push(() => clearInterval(timer));
    const r = await runYaml(pipeline(fake, 'job: deploy'), { registry, signal: controller.signal });
    assert.equal(r.report.stages[0]!.status, 'cancelled');
    assert.equal(fake.queue[0]!.cancelled, true);
    assert.deepEqual(posts(fake).at(-1)!.query, { id: String(fake.queue[0]!.id) });
  });

  test('wait: false returns once the build has started', async () => {
    const fake = await jenkinsFake([{ path: 'deploy', script: { runningPolls: Infinity } }]);
    const r = await runYaml(pipeline(fake, 'job: deploy\nwait: false'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.deepEqual(r.report.stages[0]!.outputs, { buildNumber: 1, buildUrl: `${fake.url}/job/deploy/1/`, result: '', artifacts: [] });
    assert.equal(fake.builds[0]!.polls, 0);
  });

  test('a few failed polls (5xx) are tolerated; the build is followed to its end', async () => {
    const fake = await jenkinsFake();
    fake.fail(/\/job\/smoke\/1\/api\/json$/, 502, 2);
    const r = await runYaml(pipeline(fake, 'job: smoke'), { registry });
    assert.equal(r.report.stages[0]!.status, 'succeeded', r.report.stages[0]!.error);
    assert.equal(r.lines.filter((l) => /answered 502 .* trying again in 20ms \(\d of 5 failures in a row\)/.test(l)).length, 2);
  });

  test('an unknown job gets a 404 message that says what to check', async () => {
    const fake = await jenkinsFake();
    const r = await runYaml(pipeline(fake, 'job: team/nope'), { registry });
    assert.match(r.report.stages[0]!.error!, /^Jenkins answered 404 to POST http:\/\/.*\/jenkins\/job\/team\/job\/nope\/build: Not Found\. Check the URL and the job path, and that user deployer can see it/);
  });

  test('a wrong API token: a 401 message naming where the token comes from, and the token is never written', async () => {
    const fake = await jenkinsFake();
    const wrong = 'ffffffffffffffffffffffffffffffff00';
    cleanups.push(setEnv({ JENKINS_TOKEN: wrong }));
    const registered: string[] = [];
    class Unmasked extends Secrets {
      override add(v: string | undefined) {
        if (v) registered.push(v);
      }
    }
    const r = await runYaml(pipeline(fake, 'job: smoke'), { registry, secrets: new Unmasked() });
    assert.match(r.report.stages[0]!.error!, /^Jenkins answered 401 to GET http:\/\/.*\/jenkins\/crumbIssuer\/api\/json: Unauthorized\. The user or API token is wrong: create an API token on .*\/user\/deployer\/configure and pass it in the environment variable JENKINS_TOKEN\.$/);
    assert.ok(registered.includes(wrong), 'the token is registered as a secret');
    assert.ok(registered.includes(Buffer.from(`deployer:${wrong}`).toString('base64')), 'so is the Authorization header made from it');
    const written = r.lines.join('\n') + JSON.stringify(r.report);
    assert.ok(!written.includes(wrong) && !written.includes(Buffer.from(`deployer:${wrong}`).toString('base64')));
  });

  test('a token variable that is not set is named', async () => {
    const fake = await jenkinsFake();
    cleanups.push(setEnv({ JENKINS_TOKEN: undefined }));
    const r = await runYaml(pipeline(fake, 'job: smoke'), { registry });
    assert.equal(r.report.stages[0]!.error, "token: the environment variable JENKINS_TOKEN is not set; set it from a secret in the step's env");
    assert.equal(fake.requests.length, 0);
  });

  test('dry run: nothing is sent to Jenkins', async () => {
    const fake = await jenkinsFake();
    const r = await runYaml(pipeline(fake, 'job: deploy\nparameters: { VERSION: "1" }'), { registry, dryRun: true });
    assert.equal(r.report.stages[0]!.status, 'succeeded');
    assert.equal(fake.requests.length, 0);
    assert.ok(r.lines.includes(`dry run: would build deploy on ${fake.url} with parameters {"VERSION":"1"}`));
  });

  test('user and token go together, and the token must come from the environment', async () => {
    const fake = await jenkinsFake();
    await assert.rejects(runYaml(`name: p\nstages:\n  - { id: b, type: jenkins, url: "${fake.url}", job: x, token: { fromEnv: T } }\n`, { registry }), /stages\[0\]\.user is required with token/);
    await assert.rejects(runYaml(`name: p\nstages:\n  - { id: b, type: jenkins, url: "${fake.url}", job: x, user: u, token: "abc" }\n`, { registry }), /stages\[0\]\.token/);
  });
});
