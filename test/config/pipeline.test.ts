import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadPipeline, loadInlineStage } from '../../src/config/pipeline.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { parseDuration } from '../../src/config/duration.ts';
import { stageTypes } from '../../src/stages/registry.ts';

function problemsOf(yaml: string): string[] {
  try {
    loadPipeline(yaml, 'pipe.yml', stageTypes);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.message.split('\n');
  }
  assert.fail('expected the pipeline to be rejected');
}

describe('pipeline file validation', () => {
  test('a valid pipeline loads with defaults filled in', () => {
    const p = loadPipeline(
      `name: release
stages:
  - id: hook
    type: webhook
    url: https://example.test/hook
  - id: gate
    type: precondition
    dependsOn: [hook]
    expression: stages.hook.outputs.statusCode == 200
`,
      'pipe.yml',
      stageTypes,
    );
    assert.equal(p.name, 'release');
    assert.deepEqual(p.stages.map((s) => [s.id, s.onFailure, s.line]), [
      ['hook', 'fail-pipeline', 3],
      ['gate', 'fail-pipeline', 6],
    ]);
  });

  test('errors name the file, line, path, bad value and expected form', () => {
    const lines = problemsOf(`name: p
stages:
  - id: a
    type: wait
    duration: 5 minutes
  - id: b
    type: webhook
    url: ftp://x
    method: FETCH
`);
    assert.deepEqual(lines, [
      'pipe.yml:5:15: stages[0].duration has the string "5 minutes"; expected a duration such as 90s, 5m, 1h30m or PT1H',
      'pipe.yml:8:10: stages[1].url has the string "ftp://x"; expected an http:// or https:// URL',
      'pipe.yml:9:13: stages[1].method has the string "FETCH"; expected one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"',
    ]);
  });

  test('unknown keys, unknown types and unknown enum values are errors, with a suggestion', () => {
    const lines = problemsOf(`name: p
stages:
  - id: a
    type: webhok
  - id: b
    type: wait
    duration: 1s
    dependson: [a]
    onFailure: stop
`);
    assert.match(lines[0]!, /^pipe.yml:4:11: stages\[0\]\.type has the string "webhok" \(did you mean "webhook"\?\); expected one of webhook, precondition, wait, deploy, /);
    assert.match(lines[1]!, /^pipe.yml:8:16: stages\[1\]\.dependson is not a known key \(did you mean "dependsOn"\?\)/);
    assert.match(lines[2]!, /^pipe.yml:9:16: stages\[1\]\.onFailure has the string "stop"; expected one of "fail-pipeline", "stop-branch", "stop-branch-fail-pipeline", "continue"$/);
  });

  test('a missing required key points at the mapping that lacks it', () => {
    const lines = problemsOf(`name: p
stages:
  - id: a
    type: webhook
`);
    assert.deepEqual(lines, ['pipe.yml:3:5: stages[0].url is required; expected an http:// or https:// URL']);
  });

  test('duplicate ids, unknown dependencies and cycles are refused', () => {
    assert.match(problemsOf(`name: p
stages:
  - { id: a, type: wait, duration: 1s }
  - { id: a, type: wait, duration: 1s }
`)[0]!, /stages\[1\]\.id repeats the id "a" of stages\[0\]/);
    assert.match(problemsOf(`name: p
stages:
  - { id: a, type: wait, duration: 1s, dependsOn: [ghost] }
`)[0]!, /pipe.yml:3:\d+: stages\[0\]\.dependsOn\[0\] names "ghost", which is no stage of this pipeline/);
    assert.match(problemsOf(`name: p
stages:
  - { id: a, type: wait, duration: 1s, dependsOn: [c] }
  - { id: b, type: wait, duration: 1s, dependsOn: [a] }
  - { id: c, type: wait, duration: 1s, dependsOn: [b] }
`)[0]!, /forms a cycle: a → c → b → a \(each stage depends on the next\)/);
  });

  test('a reference to a stage that is not upstream is refused, in fields and in expressions', () => {
    const lines = problemsOf(`name: p
stages:
  - { id: a, type: webhook, url: "https://x.test/$(stages.b.outputs.body)" }
  - { id: b, type: wait, duration: 1s }
  - { id: c, type: precondition, expression: "stages.b.status == 'succeeded'" }
`);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /stages\[2\]\.expression refers to stages.b.status, but stage "b" is not upstream of "c"; add it to dependsOn/);
    assert.match(lines[1]!, /stages\[0\]\.url refers to \$\(stages.b.outputs.body\), but stage "b" is not upstream of "a"/);
  });

  test('a reference to an undeclared input is refused', () => {
    const lines = problemsOf(`name: p
inputs:
  version: {}
stages:
  - { id: a, type: webhook, url: "https://x.test/$(inputs.verison)" }
`);
    assert.match(lines[0]!, /refers to \$\(inputs.verison\), but the pipeline declares no input "verison"; expected one of: version/);
  });

  test('a whole reference may stand where a number is expected; a malformed one may not', () => {
    const p = loadPipeline(`name: p
inputs: { n: {} }
stages:
  - { id: a, type: webhook, url: "https://x.test", retries: "$(inputs.n)" }
`, 'pipe.yml', stageTypes);
    assert.equal(p.stages[0]!.fields.retries, '$(inputs.n)');
    assert.match(problemsOf(`name: p
stages:
  - { id: a, type: webhook, url: "https://x.test", retries: "three" }
`)[0]!, /retries has the string "three"; expected an integer from 0 to 20/);
  });

  test('YAML syntax errors, multiple documents, alias bombs and deep nesting are refused clearly', () => {
    assert.match(problemsOf('name: p\nstages: [\n')[0]!, /^pipe.yml:\d+:\d+: \(top level\) is not valid YAML/);
    assert.match(problemsOf('name: a\n---\nname: b\n')[0]!, /is not valid YAML/);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    assert.match(problemsOf(bomb.join('\n'))[0]!, /could not be read: .*aliases are limited/);
    const deep = 'name: p\nstages: ' + '['.repeat(100) + ']'.repeat(100) + '\n';
    assert.match(problemsOf(deep)[0]!, /nested \d+ levels deep; expected at most 64/);
    assert.match(problemsOf('x'.repeat(5 * 1024 * 1024))[0]!, /bytes; expected at most 4194304 bytes/);
  });

  test('an inline stage takes its id from its type and accepts any input reference', () => {
    const p = loadInlineStage('type: wait\nduration: "$(inputs.d)"\n', "action input 'stage'", stageTypes);
    assert.equal(p.stages[0]!.id, 'wait');
    assert.equal(p.inputs, undefined);
  });
});

describe('durations', () => {
  test('accepts the short and ISO-8601 forms', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('PT1H'), 3_600_000);
    assert.equal(parseDuration('PT1M30S'), 90_000);
    assert.equal(parseDuration('P1D'), 86_400_000);
    assert.equal(parseDuration('0'), 0);
  });
  test('refuses anything else', () => {
    for (const bad of ['5', '5 m', 'm', 'PT', 'P', '1h-30m', '']) assert.equal(parseDuration(bad), undefined, bad);
  });
});
