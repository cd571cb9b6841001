// Artifacts across jobs, as GitHub passes them: the bundled action runs once as the build
// job, and its `artifacts` output goes, as the same string, to the `artifacts` input of a
// second run in another workspace (`needs.build.outputs.artifacts`).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStep } from '../helpers/runner.ts';

const PIPELINE = `name: release
stages:
  - id: tag
    type: image-tag
    image: ghcr.io/acme/web
    format: _{BUILD_NUMBER}
  - id: gate
    type: precondition
    dependsOn: [tag]
    requiredArtifacts: [{ type: docker/image, name: ghcr.io/acme/web, version: "42" }]
    expression: "true"
`;
const GITHUB = { GITHUB_RUN_NUMBER: '42', GITHUB_RUN_ATTEMPT: '1', GITHUB_SHA: 'abcdef1234567890abcdef1234567890abcdef12' };

/** Each job checks the repository out afresh: a new workspace holding the pipeline file. */
function checkout(): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'rg-job-'));
  writeFileSync(path.join(ws, 'pipeline.yml'), PIPELINE);
  return ws;
}

describe('artifacts across jobs (the bundled action, run twice)', () => {
  test("build job's artifacts output → deploy job's artifacts input: the start condition holds in the second job", async () => {
    const build = await runStep({ inputs: { pipeline: 'pipeline.yml', stages: 'tag' }, workspace: checkout(), env: GITHUB, post: false });
    assert.equal(build.exitCode, 0, build.stdout + build.stderr);
    assert.equal(build.outputs['tag-tag'], '_42');
    assert.equal(build.outputs['tag-reference'], 'ghcr.io/acme/web:_42');
    assert.deepEqual(JSON.parse(build.outputs.artifacts!), [
      { type: 'docker/image', name: 'ghcr.io/acme/web', version: '42', reference: 'ghcr.io/acme/web:_42', metadata: { tag: '_42', format: '_{BUILD_NUMBER}' } },
    ]);

    // The second job has no GITHUB_RUN_NUMBER of the first: only the artifacts carry the build.
    const gate = await runStep({ inputs: { pipeline: 'pipeline.yml', stages: 'gate', artifacts: build.outputs.artifacts! }, workspace: checkout(), post: false });
    assert.equal(gate.exitCode, 0, gate.stdout + gate.stderr);
    assert.equal(gate.outputs['gate-status'], 'succeeded');
    // Artifacts given in are passed on, so a third job can have them too.
    assert.deepEqual(JSON.parse(gate.outputs.artifacts!), JSON.parse(build.outputs.artifacts!));

    const without = await runStep({ inputs: { pipeline: 'pipeline.yml', stages: 'gate' }, workspace: checkout(), post: false });
    assert.equal(without.exitCode, 1);
    assert.equal(without.outputs['gate-status'], 'failed');
    assert.match(without.stdout, /stage gate: required artifact missing: docker\/image ghcr.io\/acme\/web@42/);
  });

  test('a malformed artifacts input stops the step before any stage runs, saying what was expected', async () => {
    // The space after "invalid:" is optional here: the wording around the index may still change.
    const cases: [string, RegExp][] = [
      ['ghcr.io/acme/web:_42', /artifacts is not JSON \(.*\); expected the 'artifacts' output of an earlier rollgate step, a JSON list/],
      ['[{"type": "docker/image"}]', /artifacts is invalid: ?\[0\]\.name is required; expected a non-empty string/],
      ['{"type": "docker/image", "name": "web"}', /artifacts has a mapping; expected a list of a mapping with the keys type, name \(required\)/],
      ['[{"type": "docker/image", "name": "web", "version": 42}]', /artifacts is invalid: ?\[0\]\.version has the number 42; expected a string/],
    ];
    for (const [input, expected] of cases) {
      const r = await runStep({ inputs: { pipeline: 'pipeline.yml', stages: 'gate', artifacts: input }, workspace: checkout(), post: false });
      assert.equal(r.exitCode, 1, input);
      assert.equal(r.outputs.result, 'invalid', input);
      assert.equal(r.outputs['gate-status'], undefined, `${input}: no stage ran`);
      assert.match(r.stdout, expected, `${input}:\n${r.stdout}`);
    }
  });
});
