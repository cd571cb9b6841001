// The fake Jenkins' contract check can fail: requests outside Jenkins' documented remote
// access API are answered as Jenkins would and recorded. (No Jenkins runs here, so the
// jenkins stage's tests rely on this check.)
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJenkinsFake, type JenkinsFake } from '../helpers/jenkins-fake.ts';

let fake: JenkinsFake;
before(async () => {
  fake = await startJenkinsFake();
});
after(() => fake.close());

const auth = () => ({ authorization: `Basic ${Buffer.from(`${fake.user}:${fake.token}`).toString('base64')}` });
const last = () => fake.violations.at(-1);

describe('the fake Jenkins checks requests against the remote access API', () => {
  test('a POST without a crumb is refused with 403 and recorded', async () => {
    const r = await fetch(`${fake.url}/job/smoke/build`, { method: 'POST', headers: auth() });
    assert.equal(r.status, 403);
    assert.match(await r.text(), /No valid crumb was included in the request/);
    assert.equal(last(), 'POST /jenkins/job/smoke/build: a POST without the Jenkins-Crumb header (get it from /crumbIssuer/api/json)');
  });

  test('a crumb without its session cookie is refused', async () => {
    const c = (await (await fetch(`${fake.url}/crumbIssuer/api/json`, { headers: auth() })).json()) as { crumb: string };
    const n = fake.violations.length;
    const r = await fetch(`${fake.url}/job/smoke/build`, { method: 'POST', headers: { ...auth(), 'Jenkins-Crumb': c.crumb } });
    assert.equal(r.status, 403);
    assert.equal(fake.violations.length, n, 'refused as Jenkins does, not a violation of the API');
  });

  test('a request without credentials, the wrong method, or a path outside the API', async () => {
    await fetch(`${fake.url}/queue/item/1/api/json`);
    assert.match(last()!, /no credentials/);
    const r = await fetch(`${fake.url}/job/smoke/build`, { headers: auth() });
    assert.equal(r.status, 405);
    assert.equal(last(), 'GET /jenkins/job/smoke/build: Jenkins takes POST here');
    await fetch(`${fake.url}/job/smoke/lastBuild/api/json`, { headers: auth() });
    assert.equal(last(), "GET /jenkins/job/smoke/lastBuild/api/json: not part of Jenkins' remote access API as rollgate uses it");
    await fetch(`${fake.url.replace('/jenkins', '')}/job/smoke/1/api/json`, { headers: auth() });
    assert.equal(last(), "GET /job/smoke/1/api/json: outside Jenkins' context path /jenkins");
  });
});
