// The canary-analysis stage against the real Prometheus of the local environment and
// sample services of the tests' own, in compressed time (seconds, not minutes).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runYaml } from '../helpers/engine.ts';
import { testEnv } from '../helpers/testenv.ts';
import { SampleFleet, ERROR_RATIO_QUERY } from '../helpers/samples.ts';

const env = testEnv();
const fleet = new SampleFleet(env);
after(() => fleet.stop());
const reportDir = mkdtempSync(path.join(os.tmpdir(), 'canary-reports-'));
const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;

const canaryConfig = (opts: { latencyFailOn?: string; errorsCritical?: boolean; mustHaveData?: boolean } = {}) => `
      name: http
      groups: { errors: 50, latency: 50 }
      metrics:
        - name: error-ratio
          groups: [errors]
          failOn: increase
          critical: ${opts.errorsCritical ?? false}
          mustHaveData: ${opts.mustHaveData ?? false}
          nanStrategy: replace
          query: ${ERROR_RATIO_QUERY}
        - name: latency-p90
          groups: [latency]
          failOn: ${opts.latencyFailOn ?? 'increase'}
          mustHaveData: ${opts.mustHaveData ?? false}
          query: histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{scope="\${scope}"}[3s])))`;

const pipeline = (baseline: string, canary: string, extra: { lifetime?: string; interval?: string; config?: string; store?: string } = {}) => `
name: canary
metricStores:
  local:
    url: ${extra.store ?? env.PROMETHEUS_URL}
    timeout: 2s
stages:
  - id: analysis
    type: canary-analysis
    metricStore: local
    lifetime: ${extra.lifetime ?? '16s'}
    interval: ${extra.interval ?? '8s'}
    step: 1s
    baseline: ${baseline}
    canary: ${canary}
    queryRetryWindow: 4s
    canaryConfig:${extra.config ?? canaryConfig()}
`;

describe('canary-analysis against real Prometheus', { concurrency: true }, () => {
  test('identical baseline and canary pass with a high score', async () => {
    const [b, c] = [uniq('base'), uniq('can')];
    await Promise.all([fleet.start(b), fleet.start(c)]);
    await fleet.scraped([b, c]);
    const r = await runYaml(pipeline(b, c), { reportDir });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.ok((st.outputs.score as number) >= 75, `score ${st.outputs.score}`);
    assert.deepEqual((st.outputs.intervalScores as number[]).length, 2);
    const report = JSON.parse(readFileSync(st.outputs.report as string, 'utf8'));
    assert.equal(report.outcome.status, 'passed');
    assert.match(st.summary!, /PASSED/);
    assert.match(st.summary!, /xychart-beta/);
    assert.match(st.summary!, new RegExp(`scope=&#34;${c}&#34;|scope="${c}"`));
  });

  test('a canary with 5× the error rate fails below marginal before the lifetime ends', async () => {
    const [b, c] = [uniq('base'), uniq('can')];
    await Promise.all([fleet.start(b, { errorRate: 0.02 }), fleet.start(c, { errorRate: 0.1 })]);
    await fleet.scraped([b, c]);
    const started = Date.now();
    const r = await runYaml(pipeline(b, c, { lifetime: '40s', interval: '8s' }), { reportDir });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.match(st.error!, /canary failed: score \d+(\.\d+)? at interval 1\/5 is at or below the marginal threshold 50/);
    assert.ok(Date.now() - started < 30_000, 'stopped at the first interval, not after the lifetime');
    assert.deepEqual((st.outputs.intervalScores as number[]).length, 1);
    const report = JSON.parse(readFileSync(st.outputs.report as string, 'utf8'));
    const m = report.outcome.intervals[0].verdict.metrics.find((x: { name: string }) => x.name === 'error-ratio');
    assert.equal(m.classification, 'High');
  });

  test('higher canary latency fails a failOn: increase metric and passes a failOn: decrease one', async () => {
    const [b, c] = [uniq('base'), uniq('can')];
    await Promise.all([fleet.start(b, { latencyMs: 20 }), fleet.start(c, { latencyMs: 200 })]);
    await fleet.scraped([b, c]);
    const [inc, dec] = await Promise.all([
      runYaml(pipeline(b, c, { config: canaryConfig({ latencyFailOn: 'increase' }) }), { reportDir }),
      runYaml(pipeline(b, c, { config: canaryConfig({ latencyFailOn: 'decrease' }) }), { reportDir }),
    ]);
    assert.equal(inc.report.stages[0]!.status, 'failed');
    const incReport = JSON.parse(readFileSync(inc.report.stages[0]!.outputs.report as string, 'utf8'));
    assert.equal(incReport.outcome.intervals[0].verdict.metrics.find((x: { name: string }) => x.name === 'latency-p90').classification, 'High');
    assert.equal(dec.report.stages[0]!.status, 'succeeded', dec.report.stages[0]!.error);
  });

  test('a canary with no data fails when mustHaveData', async () => {
    const b = uniq('base');
    await fleet.start(b);
    await fleet.scraped([b]);
    const r = await runYaml(pipeline(b, uniq('ghost'), { lifetime: '6s', interval: '6s', config: canaryConfig({ mustHaveData: true }) }), { reportDir });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    const report = JSON.parse(readFileSync(st.outputs.report as string, 'utf8'));
    const classes = report.outcome.intervals[0].verdict.metrics.map((x: { classification: string }) => x.classification);
    assert.ok(classes.includes('NodataFailMetric'), classes.join(','));
  });

  test('a failing critical metric gives score 0', async () => {
    const [b, c] = [uniq('base'), uniq('can')];
    await Promise.all([fleet.start(b, { errorRate: 0.01 }), fleet.start(c, { errorRate: 0.2 })]);
    await fleet.scraped([b, c]);
    const r = await runYaml(pipeline(b, c, { lifetime: '8s', interval: '8s', config: canaryConfig({ errorsCritical: true }) }), { reportDir });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.equal(st.outputs.score, 0);
  });
});

describe('canary-analysis: bad input and a bad metric store', () => {
  test('an unreachable metric store fails the connection check at once', async () => {
    const r = await runYaml(pipeline('a', 'b', { store: 'http://127.0.0.1:9' }), { reportDir });
    assert.match(r.report.stages[0]!.error!, /connection check failed: metric store "local" \(http:\/\/127.0.0.1:9\/?\): the connection was refused/);
  });

  test('a URL that is not Prometheus is named as such', async () => {
    const r = await runYaml(pipeline('a', 'b', { store: `${env.ROLLGATE_SAMPLE_BASELINE_URL}` }), { reportDir });
    assert.match(r.report.stages[0]!.error!, /not the Prometheus API's JSON .*is the URL the Prometheus server's base URL\?/);
  });

  test('a template variable without a value is refused before any waiting', async () => {
    const r = await runYaml(
      pipeline('a', 'b', {
        config: `
      name: c
      groups: { g: 100 }
      metrics:
        - { name: m, groups: [g], query: 'up{scope="\${scope}",region="\${region}"}' }`,
      }),
      { reportDir },
    );
    assert.match(r.report.stages[0]!.error!, /metric "m" uses \$\{region\}, which has no value; give it under scopeVariables/);
    assert.ok(r.report.stages[0]!.durationMs! < 3000);
  });
});
