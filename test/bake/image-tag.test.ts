// The image-tag stage: formats with an injected clock and environment, its artifacts, and
// how deploy's `_{BUILD_NUMBER}` placeholder picks the newest build from them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadPipeline } from '../../src/config/pipeline.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { formatDateTime, formatTag, imageNameProblem } from '../../src/stages/image-tag.ts';
import { bindImages } from '../../src/kube/manifests.ts';
import type { Artifact } from '../../src/pipeline/artifacts.ts';
import { CLOCK, registry, run, workspace } from './helpers.ts';
import { withEnv } from '../helpers/env-vars.ts';

const SHA = 'abcdef1234567890abcdef1234567890abcdef12';
const GITHUB = { GITHUB_RUN_NUMBER: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_SHA: SHA };


const tagStage = (fields: string, vars: Record<string, string | undefined> = GITHUB) =>
  withEnv(vars, () => run(`name: p\nstages:\n  - id: tag\n    type: image-tag\n${fields.replace(/^/gm, '    ')}\n`, workspace()));

function configErrors(fields: string): string {
  try {
    loadPipeline(`name: p\nstages:\n  - id: tag\n    type: image-tag\n${fields.replace(/^/gm, '    ')}\n`, 'test.yml', registry);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return '';
}

describe('image-tag: formats', () => {
  test("the original product's formats: _{BUILD_NUMBER} → _42 and {BUILD_DATE_TIME} → yyyy-MM-dd_HH_mm_ss (UTC)", () => {
    const v = { buildNumber: '42', buildAttempt: '2', sha: SHA, date: CLOCK, timeZone: 'UTC' };
    assert.equal(formatTag('_{BUILD_NUMBER}', v), '_42');
    assert.equal(formatTag('{BUILD_DATE_TIME}', v), '2026-03-05_14_30_09');
    assert.equal(formatTag('{SHORT_SHA}', v), 'abcdef1');
    assert.equal(formatTag('v1.4.{BUILD_NUMBER}-{SHORT_SHA}.{BUILD_ATTEMPT}', v), 'v1.4.42-abcdef1.2');
    assert.equal(formatTag('release', v), 'release');
    // Single digits are padded, and midnight is 00, not 24.
    assert.equal(formatDateTime(new Date('2026-01-02T00:03:04Z'), 'UTC'), '2026-01-02_00_03_04');
    assert.equal(formatDateTime(CLOCK, 'Asia/Seoul'), '2026-03-05_23_30_09');
  });

  test('a placeholder without a value, or a result that is no tag, is an error that says why', () => {
    const v = { date: CLOCK, timeZone: 'UTC' };
    assert.throws(() => formatTag('_{BUILD_NUMBER}', v), /format "_\{BUILD_NUMBER\}" uses \{BUILD_NUMBER\}, but there is no build number: GITHUB_RUN_NUMBER is not set \(outside GitHub Actions, set it or the buildNumber field\)/);
    assert.throws(() => formatTag('{SHORT_SHA}', v), /GITHUB_SHA is not set/);
    assert.throws(() => formatTag('{BUILD_ATTEMPT}', v), /GITHUB_RUN_ATTEMPT is not set/);
    assert.throws(() => formatTag('-{BUILD_DATE_TIME}', v), /gives the tag "-2026-03-05_14_30_09", which is not a valid image tag; a tag is 1 to 128 letters, digits, _, \. and -, and does not start with \. or -/);
    assert.throws(() => formatTag('a b', v), /not a valid image tag/);
    assert.throws(() => formatTag('x'.repeat(129), v), /not a valid image tag/);
  });

  test('image names: registry, port, path; no tag, no digest, no capitals', () => {
    for (const ok of ['web', 'ghcr.io/acme/web', 'localhost:5000/web', 'registry.example.com:443/a/b-c/d__e', 'acme/web.api']) assert.equal(imageNameProblem(ok), undefined, ok);
    assert.match(imageNameProblem('ghcr.io/acme/web:1.0')!, /has the tag "1\.0"; give the image name alone/);
    assert.match(imageNameProblem('ghcr.io/acme/web@sha256:abc')!, /has a digest/);
    assert.match(imageNameProblem('ghcr.io/Acme/web')!, /has the path component "Acme"; expected lowercase/);
  });
});

describe('image-tag: the stage', () => {
  test('one image: outputs and a docker/image artifact whose version is the build number', async () => {
    const r = await tagStage('image: ghcr.io/acme/web\nformat: _{BUILD_NUMBER}');
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.deepEqual(st.outputs, { tag: '_42', reference: 'ghcr.io/acme/web:_42', tags: ['ghcr.io/acme/web:_42'], buildNumber: '42' });
    assert.deepEqual(st.artifacts, [
      { type: 'docker/image', name: 'ghcr.io/acme/web', version: '42', reference: 'ghcr.io/acme/web:_42', metadata: { tag: '_42', format: '_{BUILD_NUMBER}' } },
    ]);
  });

  test('several images share the tag; the clock and the time zone give {BUILD_DATE_TIME}', async () => {
    const r = await tagStage('images: [ghcr.io/acme/web, ghcr.io/acme/worker]\nformat: "{BUILD_DATE_TIME}"\ntimeZone: Asia/Seoul');
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.tag, '2026-03-05_23_30_09');
    assert.deepEqual(st.outputs.tags, ['ghcr.io/acme/web:2026-03-05_23_30_09', 'ghcr.io/acme/worker:2026-03-05_23_30_09']);
    assert.deepEqual(
      st.artifacts.map((a) => [a.name, a.version, a.reference]),
      [
        ['ghcr.io/acme/web', '42', 'ghcr.io/acme/web:2026-03-05_23_30_09'],
        ['ghcr.io/acme/worker', '42', 'ghcr.io/acme/worker:2026-03-05_23_30_09'],
      ],
    );
  });

  test('outside GitHub Actions: buildNumber and sha fields; without a build number the version is the tag', async () => {
    const none = { GITHUB_RUN_NUMBER: undefined, GITHUB_RUN_ATTEMPT: undefined, GITHUB_SHA: undefined };
    const given = await tagStage(`image: web\nformat: "{BUILD_NUMBER}-{SHORT_SHA}"\nbuildNumber: 7\nsha: ${SHA}`, none);
    assert.equal(given.report.stages[0]!.outputs.tag, '7-abcdef1', given.report.stages[0]!.error);
    assert.equal(given.report.stages[0]!.artifacts[0]!.version, '7');
    const dated = await tagStage('image: web\nformat: "{BUILD_DATE_TIME}"', none);
    assert.equal(dated.report.stages[0]!.artifacts[0]!.version, '2026-03-05_14_30_09');
    assert.equal(dated.report.stages[0]!.outputs.buildNumber, undefined);
    const missing = await tagStage('image: web\nformat: _{BUILD_NUMBER}', none);
    assert.match(missing.report.stages[0]!.error!, /GITHUB_RUN_NUMBER is not set \(outside GitHub Actions, set it or the buildNumber field\)/);
  });

  test('the tag feeds later stages through references', async () => {
    const r = await withEnv(GITHUB, () =>
      run(
        `name: p
stages:
  - { id: tag, type: image-tag, image: ghcr.io/acme/web, format: "1.4-{SHORT_SHA}" }
  - { id: use, type: work, dependsOn: [tag], value: "$(stages.tag.outputs.reference)" }
`,
        workspace(),
      ),
    );
    assert.equal(r.report.stages[1]!.outputs.value, 'ghcr.io/acme/web:1.4-abcdef1');
    assert.deepEqual(r.report.stages[1]!.outputs.seenArtifacts, ['ghcr.io/acme/web']);
  });

  test('configuration errors: unknown placeholder, image with a tag, image and images, unknown time zone', () => {
    assert.match(configErrors('image: web\nformat: "{BUILD_ID}"'), /stages\[0\]\.format has the unknown placeholder \{BUILD_ID\}; expected \{BUILD_NUMBER\}, \{BUILD_ATTEMPT\}, \{BUILD_DATE_TIME\}, \{SHORT_SHA\}/);
    assert.match(configErrors('image: ghcr.io/acme/web:latest\nformat: x'), /stages\[0\]\.image is "ghcr.io\/acme\/web:latest", which has the tag "latest"; give the image name alone/);
    assert.match(configErrors('images: [web, Worker]\nformat: x'), /stages\[0\]\.images\[1\] is "Worker"/);
    assert.match(configErrors('image: a\nimages: [b]\nformat: x'), /has both image and images; expected one of them/);
    assert.match(configErrors('format: x'), /has neither image nor images/);
    assert.match(configErrors('image: web'), /stages\[0\]\.format is required/);
    assert.match(configErrors('image: web\nformat: x\ntimeZone: Mars/Olympus'), /timeZone is "Mars\/Olympus", which is not a time zone this runtime knows/);
    assert.match(configErrors('image: web\nformat: x\nbuildNumber: "4a"'), /buildNumber has the string "4a"; expected a build number \(digits\)/);
  });
});

describe("image-tag → deploy's _{BUILD_NUMBER} placeholder", () => {
  test('the newest build wins by number: build 10 is newer than 9, whatever order the artifacts came in', async () => {
    const artifacts: Artifact[] = [];
    for (const n of ['10', '9', '42', '8']) {
      const r = await tagStage('image: ghcr.io/acme/web\nformat: _{BUILD_NUMBER}', { ...GITHUB, GITHUB_RUN_NUMBER: n });
      artifacts.push(...r.report.stages[0]!.artifacts);
    }
    const deployment = {
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: { template: { spec: { containers: [{ name: 'web', image: 'ghcr.io/acme/web:_{BUILD_NUMBER}' }] } } },
      },
      source: 'manifests[0]',
    };
    const bound = bindImages([deployment as never], artifacts);
    assert.deepEqual(bound.errors, []);
    assert.equal(deployment.object.spec.template.spec.containers[0]!.image, 'ghcr.io/acme/web:_42');
    // Had the version been the tag (_10, _9, _42, _8), there would be no numeric order and the last one given (_8) would win.
  });
});
