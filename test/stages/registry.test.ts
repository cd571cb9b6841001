// Every stage's declared outputs become step outputs named <stage-id>-<output>, beside the
// <stage-id>-status the action sets for each stage: an output named `status` would take the
// stage's status away (a cancelled stage would read as its own last value instead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stageTypes } from '../../src/stages/registry.ts';

test('no stage declares an output named status, which the step output <id>-status already is', () => {
  const clashes = Object.entries(stageTypes).filter(([, t]) => 'status' in t.outputs).map(([name]) => name);
  assert.deepEqual(clashes, []);
  assert.ok(Object.keys(stageTypes).length >= 18, 'every stage type is checked');
});

test('one schema described for two fields keeps both descriptions', async () => {
  const { s } = await import('../../src/config/schema.ts');
  const shared = s.string();
  const a = shared.describe('first');
  const b = shared.describe('second');
  assert.deepEqual([a.json().description, b.json().description, shared.json().description], ['first', 'second', undefined]);
  const props = (type: string) => (stageTypes[type]!.schema.json() as { properties: Record<string, { description?: string }> }).properties;
  assert.match(props('rollout').stable!.description!, /^The stable workload/);
  assert.match(props('patch').target!.description!, /^The resource to act on/);
});
