import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCanaryConfig, canaryConfigSchema } from '../../src/canary/config.ts';
import { ConfigError } from '../../src/config/errors.ts';

function problemsOf(yaml: string): string[] {
  try {
    loadCanaryConfig(yaml, 'canary.yml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.message.split('\n');
  }
  assert.fail('expected the canary config to be rejected');
}

const VALID = `name: checkout
description: Errors and latency of the checkout service
judge:
  confidenceLevel: 0.95
groups:
  errors: 60
  latency: 40
metrics:
  - name: error-rate
    groups: [errors]
    query: sum(rate(http_requests_total{app="\${scope}", code=~"5.."}[1m]))
    failOn: increase
    critical: true
    effectSize:
      allowedIncrease: 1.1
      criticalIncrease: 2
  - name: p99
    groups: [latency, errors]
    query: histogram_quantile(0.99, sum by (le) (rate(latency_bucket{app="\${scope}"}[1m])))
    nanStrategy: replace
    outliers: { strategy: remove }
    effectSize: { measure: cles }
`;

describe('canary config', () => {
  test('a valid config loads with every default filled in', () => {
    const c = loadCanaryConfig(VALID, 'canary.yml');
    assert.equal(c.name, 'checkout');
    assert.deepEqual(c.judge, { confidenceLevel: 0.95, tolerance: 0.25 });
    assert.deepEqual(c.groups, { errors: 60, latency: 40 });
    assert.deepEqual(c.metrics[0], {
      name: 'error-rate',
      groups: ['errors'],
      query: 'sum(rate(http_requests_total{app="${scope}", code=~"5.."}[1m]))',
      direction: 'increase',
      critical: true,
      mustHaveData: false,
      nanStrategy: 'remove',
      muted: false,
      effectSize: { measure: 'meanRatio', allowedIncrease: 1.1, allowedDecrease: 1, criticalIncrease: 2, criticalDecrease: 1 },
      outliers: { strategy: 'keep', factor: 3 },
      line: 9,
    });
    const p99 = c.metrics[1]!;
    assert.equal(p99.direction, 'either', 'failOn defaults to either, as in Kayenta');
    assert.deepEqual(p99.effectSize, { measure: 'cles', allowedIncrease: 0.5, allowedDecrease: 0.5, criticalIncrease: 0.5, criticalDecrease: 0.5 });
    assert.deepEqual(p99.outliers, { strategy: 'remove', factor: 3 });
  });

  test('weights that do not sum to 100 are refused, listing every group, its weight and the sum', () => {
    const lines = problemsOf(VALID.replace('latency: 40', 'latency: 30'));
    assert.deepEqual(lines, ['canary.yml:6:3: groups has weights errors: 60, latency: 30, which sum to 90; expected weights that sum to exactly 100']);
  });

  test('a metric naming an undeclared group is refused, naming the metric', () => {
    const lines = problemsOf(VALID.replace('groups: [latency, errors]', 'groups: [latncy, errors]').replace('latency: 40', 'latency: 40\n  other: 0'));
    assert.deepEqual(lines, [
      'canary.yml:19:14: metrics[1].groups[0] of metric "p99" names the group "latncy", which is not declared under groups (did you mean "latency"?); expected one of errors, latency, other',
      'canary.yml:7:12: groups.latency is a group no metric belongs to; expected each group to hold at least one metric (add it to a metric\'s groups or remove it)',
      'canary.yml:8:10: groups.other is a group no metric belongs to; expected each group to hold at least one metric (add it to a metric\'s groups or remove it)',
    ]);
  });

  test('unknown failOn values, unknown keys and out-of-range effect sizes are refused with their lines', () => {
    const lines = problemsOf(
      VALID.replace('failOn: increase', 'failOn: up').replace('critical: true', 'critcal: true').replace('criticalIncrease: 2', 'criticalIncrease: 0.2'),
    );
    assert.deepEqual(lines, [
      'canary.yml:13:14: metrics[0].critcal is not a known key (did you mean "critical"?); expected one of name, groups, query, failOn, critical, mustHaveData, nanStrategy, muted, effectSize, outliers',
      'canary.yml:12:13: metrics[0].failOn has the string "up"; expected one of "increase", "decrease", "either"',
      'canary.yml:16:25: metrics[0].effectSize.criticalIncrease has the number 0.2; expected a ratio of at least 1 (canary mean / baseline mean; 1.1 allows a 10% increase)',
    ]);
    const effect = problemsOf(VALID.replace('criticalIncrease: 2', 'criticalIncrease: 0.2').replace('{ measure: cles }', '{ measure: cles, allowedDecrease: 0.7 }'));
    assert.deepEqual(effect, [
      'canary.yml:16:25: metrics[0].effectSize.criticalIncrease has the number 0.2; expected a ratio of at least 1 (canary mean / baseline mean; 1.1 allows a 10% increase)',
      'canary.yml:22:51: metrics[1].effectSize.allowedDecrease has the number 0.7; expected a probability from 0 to 0.5 (chance that a canary point exceeds a baseline point)',
    ]);
  });

  test('duplicate metric names, malformed query templates and a missing query are refused', () => {
    const lines = problemsOf(`name: c
groups: { g: 100 }
metrics:
  - { name: a, groups: [g], query: 'up{x="\${scope"}' }
  - { name: a, groups: [g] }
`);
    assert.deepEqual(lines, ['canary.yml:5:5: metrics[1].query is required; expected a non-empty string']);
    const more = problemsOf(`name: c
groups: { g: 100 }
metrics:
  - { name: a, groups: [g], query: 'up{x="\${scope"}' }
  - { name: a, groups: [g], query: up }
`);
    assert.equal(more.length, 2);
    assert.match(more[0]!, /^canary.yml:4:36: metrics\[0\]\.query is not a valid template: the query has "\$\{scope\\"\}" at character 7, which is not a variable/);
    assert.match(more[1]!, /^canary.yml:5:13: metrics\[1\]\.name repeats the name "a" of metrics\[0\]; expected unique metric names$/);
  });

  test('YAML errors and missing top-level keys carry the file and line', () => {
    assert.match(problemsOf('name: c\ngroups: [\n')[0]!, /^canary.yml:\d+:\d+: \(top level\) is not valid YAML/);
    assert.deepEqual(problemsOf('name: c\n'), [
      'canary.yml:1:1: groups is required; expected a mapping of a group name (not empty, no surrounding spaces) to a number from 0 to 100',
      'canary.yml:1:1: metrics is required; expected a list of at least 1 of a mapping with the keys name, groups, query (required) and failOn, critical, mustHaveData, nanStrategy, muted, effectSize, outliers',
    ]);
  });

  test('the schema describes every field, for the published JSON Schema', () => {
    const json = canaryConfigSchema.json() as { properties: Record<string, { description?: string; items?: { properties: Record<string, { description?: string }> } }> };
    for (const [key, prop] of Object.entries(json.properties)) assert.ok(prop.description, `${key} has a description`);
    for (const [key, prop] of Object.entries(json.properties.metrics!.items!.properties)) assert.ok(prop.description, `metrics.${key} has a description`);
  });
});
