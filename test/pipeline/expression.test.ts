import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpression, ExpressionError } from '../../src/pipeline/expression.ts';
import type { Reference } from '../../src/pipeline/references.ts';

const values: Record<string, unknown> = { 'inputs.target': 'Production', 'inputs.count': '3', 'stages.scan.status': 'failed', 'stages.scan.outputs.findings': 0 };
const resolve = (r: Reference) => values[r.text.slice(2, -1)];
const ev = (t: string) => parseExpression(t).evaluate(resolve).value;

test('compares like GitHub expressions: case-insensitive strings, numbers from numeric strings', () => {
  assert.equal(ev("inputs.target == 'production'"), true);
  assert.equal(ev('inputs.count == 3'), true);
  assert.equal(ev('inputs.count > 2 && inputs.count <= 3'), true);
  assert.equal(ev("stages.scan.status != 'succeeded' || false"), true);
  assert.equal(ev('!(stages.scan.outputs.findings > 0)'), true);
  assert.equal(ev("inputs.target in ['staging', 'production']"), true);
  assert.equal(ev("contains(inputs.target, 'duct') && startsWith(inputs.target, 'pro')"), true);
  assert.equal(ev('inputs.missing == null'), true);
});

test('reports the values it saw, for failure messages', () => {
  const r = parseExpression("inputs.target == 'staging' && inputs.count > 1").evaluate(resolve);
  assert.equal(r.value, false);
  assert.deepEqual(r.seen, [{ text: 'inputs.target', value: 'Production' }]);
});

test('refuses what it cannot read, saying where', () => {
  assert.throws(() => parseExpression("inputs.a == 'x' &&"), ExpressionError);
  assert.throws(() => parseExpression('process.exit(1)'), /unknown function process.exit\(\)/);
  assert.throws(() => parseExpression('inputs.a = 1'), /cannot read|unexpected/);
  assert.throws(() => parseExpression('env.HOME'), /env.HOME is not a value here/);
});
