import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runYaml, statusOf, timeline } from '../helpers/engine.ts';

describe('engine: order and parallelism', () => {
  test('runs a stage only after all its dependencies, and independent branches in parallel', async () => {
    timeline.length = 0;
    const r = await runYaml(`
name: p
stages:
  - { id: a, type: work, ms: 50ms }
  - { id: b, type: work, ms: 200ms, dependsOn: [a] }
  - { id: c, type: work, ms: 200ms, dependsOn: [a] }
  - { id: d, type: work, dependsOn: [b, c] }
`);
    assert.equal(r.report.result, 'succeeded');
    const at = (id: string, e: 'start' | 'end') => timeline.find((t) => t.id === id && t.event === e)!.at;
    assert.ok(at('b', 'start') >= at('a', 'end'));
    assert.ok(at('c', 'start') >= at('a', 'end'));
    // b and c overlap: each starts before the other ends.
    assert.ok(at('b', 'start') < at('c', 'end') && at('c', 'start') < at('b', 'end'));
    assert.ok(at('d', 'start') >= Math.max(at('b', 'end'), at('c', 'end')));
  });

  test('keeps each stage\'s log lines together in its own group', async () => {
    const r = await runYaml(`
name: p
stages:
  - { id: x, type: wait, duration: 150ms }
  - { id: y, type: wait, duration: 50ms }
`);
    const groups = r.lines.filter((l) => l.startsWith('::group::'));
    assert.deepEqual(groups, ['::group::x (wait)', '::group::y (wait)']);
    const yStart = r.lines.indexOf('::group::y (wait)');
    const xEnd = r.lines.indexOf('::endgroup::');
    assert.ok(xEnd < yStart, 'y waits for x to close its group');
    assert.ok(r.lines.slice(yStart).some((l) => l.includes('y succeeded')));
  });
});

describe('engine: failure policies', () => {
  const pipeline = (policy: string) => `
name: p
stages:
  - { id: slow, type: work, ms: 400ms }
  - { id: bad, type: work, fail: true, onFailure: ${policy} }
  - { id: after-bad, type: work, dependsOn: [bad] }
  - { id: after-slow, type: work, dependsOn: [slow] }
`;

  test('fail-pipeline stops everything: running stages are cancelled, the rest never start', async () => {
    const r = await runYaml(pipeline('fail-pipeline'));
    assert.equal(r.report.result, 'failed');
    assert.deepEqual(statusOf(r), { slow: 'cancelled', bad: 'failed', 'after-bad': 'skipped', 'after-slow': 'skipped' });
    assert.match(r.report.stages.find((s) => s.id === 'after-slow')!.reason!, /not started: stage "bad" failed/);
  });

  test('stop-branch stops only the failed branch and the pipeline still succeeds', async () => {
    const r = await runYaml(pipeline('stop-branch'));
    assert.equal(r.report.result, 'succeeded');
    assert.deepEqual(statusOf(r), { slow: 'succeeded', bad: 'failed', 'after-bad': 'skipped', 'after-slow': 'succeeded' });
    assert.match(r.report.stages.find((s) => s.id === 'after-bad')!.reason!, /upstream stage "bad" stopped this branch/);
  });

  test('stop-branch-fail-pipeline lets other branches finish, then fails the pipeline', async () => {
    const r = await runYaml(pipeline('stop-branch-fail-pipeline'));
    assert.equal(r.report.result, 'failed');
    assert.deepEqual(statusOf(r), { slow: 'succeeded', bad: 'failed', 'after-bad': 'skipped', 'after-slow': 'succeeded' });
  });

  test('continue marks the stage failed-continue and runs its dependents', async () => {
    const r = await runYaml(pipeline('continue'));
    assert.equal(r.report.result, 'succeeded');
    assert.deepEqual(statusOf(r), { slow: 'succeeded', bad: 'failed-continue', 'after-bad': 'succeeded', 'after-slow': 'succeeded' });
    assert.equal(r.report.stages.find((s) => s.id === 'bad')!.error, 'bad was told to fail');
  });

  test('a skipped branch propagates through grandchildren', async () => {
    const r = await runYaml(`
name: p
stages:
  - { id: a, type: work, fail: true, onFailure: stop-branch }
  - { id: b, type: work, dependsOn: [a] }
  - { id: c, type: work, dependsOn: [b] }
`);
    assert.deepEqual(statusOf(r), { a: 'failed', b: 'skipped', c: 'skipped' });
  });
});

describe('engine: timeouts and cancellation', () => {
  test('a stage over its timeout fails with the timeout in the message', async () => {
    const r = await runYaml(`
name: p
stages:
  - { id: t, type: work, ms: 5s, timeout: 100ms }
`);
    assert.equal(r.report.result, 'failed');
    assert.equal(r.report.stages[0]!.status, 'failed');
    assert.equal(r.report.stages[0]!.error, 'timed out after 100ms');
    assert.ok(r.report.stages[0]!.durationMs! < 2000);
  });

  test('a stage that ignores the stop signal is abandoned after the grace period', async () => {
    const r = await runYaml(`
name: p
stages:
  - { id: stubborn, type: work, ms: 3s, ignoreSignal: true, timeout: 100ms }
`);
    assert.equal(r.report.stages[0]!.error, 'timed out after 100ms');
    assert.ok(r.report.durationMs < 2000, `took ${r.report.durationMs}ms`);
  });

  test('the pipeline timeout fails the run', async () => {
    const r = await runYaml(`
name: p
timeout: 100ms
stages:
  - { id: long, type: work, ms: 5s }
`);
    assert.equal(r.report.result, 'failed');
    assert.equal(r.report.stages[0]!.status, 'cancelled');
    assert.match(r.report.stages[0]!.reason!, /pipeline timed out after 100ms/);
  });

  test('cancelling the run stops running stages, skips the rest and reports cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('SIGTERM')), 100);
    const r = await runYaml(
      `
name: p
stages:
  - { id: a, type: work, ms: 10s }
  - { id: b, type: work, dependsOn: [a] }
`,
      { signal: ac.signal },
    );
    assert.equal(r.report.result, 'cancelled');
    assert.deepEqual(statusOf(r), { a: 'cancelled', b: 'skipped' });
    assert.ok(r.report.durationMs < 2000);
  });
});

describe('engine: references, conditions and artifacts', () => {
  test('outputs flow to later stages, keeping their type when a field is one reference', async () => {
    const r = await runYaml(
      `
name: p
inputs:
  version: { required: true }
stages:
  - { id: a, type: work, value: { tag: "v-$(inputs.version)", n: 3 } }
  - { id: b, type: work, dependsOn: [a], value: "$(stages.a.outputs.value.tag)/$(stages.a.outputs.value.n)" }
  - { id: c, type: work, dependsOn: [a], value: "$(stages.a.outputs.value.n)" }
  - { id: d, type: work, dependsOn: [a], value: "$$(not a reference)" }
`,
      { inputs: { version: '1.2' } },
    );
    const out = (id: string) => r.report.stages.find((s) => s.id === id)!.outputs.value;
    assert.deepEqual(out('a'), { tag: 'v-1.2', n: 3 });
    assert.equal(out('b'), 'v-1.2/3');
    assert.equal(out('c'), 3);
    assert.equal(out('d'), '$(not a reference)');
  });

  test('a missing output fails the stage with the outputs that exist', async () => {
    const r = await runYaml(`
name: p
stages:
  - { id: a, type: work }
  - { id: b, type: work, dependsOn: [a], value: "$(stages.a.outputs.nope)" }
`);
    assert.equal(r.report.stages[1]!.status, 'failed');
    assert.match(r.report.stages[1]!.error!, /stage "a" has no output "nope".*value, seenArtifacts/);
  });

  test('when: a false condition skips the stage and its dependents still run', async () => {
    const r = await runYaml(
      `
name: p
inputs:
  env: { default: staging }
stages:
  - { id: prod-only, type: work, when: "inputs.env == 'production'" }
  - { id: next, type: work, dependsOn: [prod-only] }
`,
    );
    assert.deepEqual(statusOf(r), { 'prod-only': 'skipped', next: 'succeeded' });
    assert.match(r.report.stages[0]!.reason!, /inputs.env = "staging"/);
  });

  test('required artifacts: missing → fail, or skip when configured; present → run', async () => {
    const yaml = (onMissing: string) => `
name: p
stages:
  - id: deploy
    type: work
    requiredArtifacts: [{ type: docker/image, name: "ghcr.io/acme/*" }]
    onMissingArtifacts: ${onMissing}
`;
    const missing = await runYaml(yaml('fail'));
    assert.equal(missing.report.stages[0]!.status, 'failed');
    assert.match(missing.report.stages[0]!.error!, /required artifact missing: docker\/image ghcr.io\/acme\/\*/);
    const skipped = await runYaml(yaml('skip'));
    assert.equal(skipped.report.stages[0]!.status, 'skipped');
    assert.equal(skipped.report.result, 'succeeded');
    const present = await runYaml(yaml('fail'), { artifacts: [{ type: 'docker/image', name: 'ghcr.io/acme/web', version: '1' }] });
    assert.equal(present.report.stages[0]!.status, 'succeeded');
    assert.deepEqual(present.report.stages[0]!.outputs.seenArtifacts, ['ghcr.io/acme/web']);
  });

  test('artifact matches take references: the version to require can be an input', async () => {
    const yaml = `
name: p
inputs: { version: { required: true } }
stages:
  - id: deploy
    type: work
    requiredArtifacts: [{ type: docker/image, name: ghcr.io/acme/web, version: $(inputs.version) }]
`;
    const artifacts = [{ type: 'docker/image', name: 'ghcr.io/acme/web', version: '1.4.2' }];
    const ok = await runYaml(yaml, { artifacts, inputs: { version: '1.4.2' } });
    assert.equal(ok.report.stages[0]!.status, 'succeeded', ok.report.stages[0]!.error);
    const other = await runYaml(yaml, { artifacts, inputs: { version: '1.4.3' } });
    assert.match(other.report.stages[0]!.error!, /required artifact missing: docker\/image ghcr.io\/acme\/web@1.4.3/);
  });

  test('producedArtifacts keeps only matching products and fails when one is absent', async () => {
    const produce = `[{ type: docker/image, name: web, version: "1" }, { type: file, name: log }]`;
    const ok = await runYaml(`
name: p
stages:
  - { id: build, type: work, produce: ${produce}, producedArtifacts: [{ type: docker/image, name: web }] }
  - { id: use, type: work, dependsOn: [build] }
`);
    assert.deepEqual(ok.report.artifacts.map((a) => a.name), ['web']);
    assert.deepEqual(ok.report.stages[1]!.outputs.seenArtifacts, ['web']);
    const bad = await runYaml(`
name: p
stages:
  - { id: build, type: work, produce: ${produce}, producedArtifacts: [{ type: docker/image, name: api }] }
`);
    assert.equal(bad.report.stages[0]!.status, 'failed');
    assert.match(bad.report.stages[0]!.error!, /did not produce docker\/image api/);
  });

  test('a subset of stages runs alone; dependencies outside it count as done', async () => {
    const r = await runYaml(
      `
name: p
stages:
  - { id: build, type: work }
  - { id: deploy, type: work, dependsOn: [build] }
`,
      { only: ['deploy'] },
    );
    assert.deepEqual(statusOf(r), { deploy: 'succeeded' });
  });

  test('a subset that references a stage outside it is refused before anything runs', async () => {
    await assert.rejects(
      runYaml(
        `
name: p
stages:
  - { id: build, type: work, value: 1 }
  - { id: deploy, type: work, dependsOn: [build], value: "$(stages.build.outputs.value)" }
`,
        { only: ['deploy'] },
      ),
      /stage "build" is not part of this run.*pass the value as a pipeline input/,
    );
  });

  test('inputs: required, options and undeclared names are checked before any stage', async () => {
    const yaml = `
name: p
inputs:
  target: { required: true, options: [staging, production] }
stages:
  - { id: a, type: work }
`;
    await assert.rejects(runYaml(yaml), /inputs.target is required/);
    await assert.rejects(runYaml(yaml, { inputs: { target: 'qa' } }), /has "qa"; expected one of "staging", "production"/);
    await assert.rejects(runYaml(yaml, { inputs: { target: 'staging', extra: 1 } }), /inputs.extra was given, but the pipeline declares no such input/);
  });

  test('secrets registered by a stage are masked in the report', async () => {
    const { Secrets } = await import('../../src/log/secrets.ts');
    const secrets = new Secrets();
    secrets.add('s3cr3t-value');
    const r = await runYaml(`
name: p
stages:
  - { id: a, type: work, value: "token=s3cr3t-value", fail: false }
`, { secrets });
    assert.equal(r.report.stages[0]!.outputs.value, 'token=***');
  });
});
