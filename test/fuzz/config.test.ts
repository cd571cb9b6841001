// Property-based fuzzing of configuration parsing: thousands of generated documents, each
// either accepted or rejected with a ConfigError whose every problem names its place —
// never a crash or a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadPipeline, loadInlineStage } from '../../src/config/pipeline.ts';
import { loadCanaryConfig } from '../../src/canary/config.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { stageTypes } from '../../src/stages/registry.ts';

const keys = ['name', 'stages', 'id', 'type', 'dependsOn', 'when', 'timeout', 'onFailure', 'url', 'method', 'duration', 'expression', 'target', 'kind', 'replicas', 'steps', 'setWeight', 'groups', 'metrics', 'query', 'inputs', '$(inputs.x)', 'metricStores'];
const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(...Object.keys(stageTypes), '5m', 'PT1H', '$(stages.a.outputs.b)', 'a', 'fail-pipeline'));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.constantFrom(...keys), tie('node'), { maxKeys: 5 })),
})).node;
const pipelineLike = fc.record({ name: value, stages: fc.array(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 6 }), { maxLength: 4 }) }, { requiredKeys: [] });

function rejectsCleanly(load: () => unknown): void {
  try {
    load();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${(e as Error)?.stack ?? e}`);
    for (const p of e.problems) {
      assert.ok(p.source && typeof p.message === 'string' && p.message.length > 0, JSON.stringify(p));
      assert.doesNotMatch(p.message, /\n\s+at /, 'a stack trace in a message');
    }
  }
}

test('pipelines: 3,000 generated documents are accepted or rejected with located problems', () => {
  fc.assert(fc.property(fc.oneof(pipelineLike, value), (doc) => rejectsCleanly(() => loadPipeline(stringify(doc), 'fuzz.yml', stageTypes))), { numRuns: 3000 });
});

test('inline stages and canary configs: 2,000 each', () => {
  fc.assert(fc.property(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 6 }), (doc) => rejectsCleanly(() => loadInlineStage(stringify(doc), 'stage', stageTypes))), { numRuns: 2000 });
  fc.assert(fc.property(fc.oneof(value, fc.record({ name: value, groups: value, metrics: value }, { requiredKeys: [] })), (doc) => rejectsCleanly(() => loadCanaryConfig(stringify(doc), 'canary.yml'))), { numRuns: 2000 });
});

test('raw text: 2,000 arbitrary strings never crash the loader', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => rejectsCleanly(() => loadPipeline(text, 'fuzz.yml', stageTypes))), { numRuns: 2000 });
});
