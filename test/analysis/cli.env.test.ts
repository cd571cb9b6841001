// The canary commands of the bundled CLI, and the canary stage in the bundled action.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEnv } from '../helpers/testenv.ts';
import { SampleFleet, ERROR_RATIO_QUERY } from '../helpers/samples.ts';
import { ROOT, runStep } from '../helpers/runner.ts';

const env = testEnv();
const fleet = new SampleFleet(env);
after(() => fleet.stop());
const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-cli-'));
const CLI = path.join(ROOT, 'dist/cli/index.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const config = `name: http
groups: { errors: 60, latency: 40 }
metrics:
  - name: error-ratio
    groups: [errors]
    failOn: increase
    nanStrategy: replace
    query: ${ERROR_RATIO_QUERY}
  - name: latency
    groups: [latency]
    failOn: increase
    query: histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{scope="\${scope}"}[3s])))
`;
writeFileSync(path.join(dir, 'canary.yml'), config);

describe('rollgate judge (offline)', () => {
  test('judges recorded series: a 3× error ratio fails, identical data passes', () => {
    const base = Array.from({ length: 60 }, (_, i) => 0.01 + (i % 7) * 0.001);
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ 'error-ratio': base, latency: base.map((x) => x * 10) }));
    writeFileSync(path.join(dir, 'c-bad.json'), JSON.stringify({ 'error-ratio': base.map((x) => x * 3), latency: base.map((x) => x * 10) }));
    const bad = cli('judge', '--config', 'canary.yml', '--baseline', 'b.json', '--canary', 'c-bad.json');
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /^High\s+error-ratio/m);
    assert.match(bad.stdout, /Score 40: Fail/);
    const same = cli('judge', '--config', 'canary.yml', '--baseline', 'b.json', '--canary', 'b.json', '--json');
    assert.equal(same.status, 0);
    assert.equal(JSON.parse(same.stdout).score, 100);
  });

  test('bad input exits 2 and says what is wrong', () => {
    writeFileSync(path.join(dir, 'junk.json'), '{"error-ratio": {"nope": 1}}');
    const r = cli('judge', '--config', 'canary.yml', '--baseline', 'junk.json', '--canary', 'junk.json');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /junk.json: error-ratio is neither a list of numbers/);
    assert.equal(cli('judge', '--config', 'canary.yml').status, 2);
  });
});

describe('rollgate metrics-store check', () => {
  test('reports the Prometheus version, or why not', () => {
    const ok = cli('metrics-store', 'check', '--url', env.PROMETHEUS_URL);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Prometheus 2\.\d+/);
    const refused = cli('metrics-store', 'check', '--url', 'http://127.0.0.1:9');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /the connection was refused/);
    const dns = cli('metrics-store', 'check', '--url', 'http://no-such-host.invalid');
    assert.match(dns.stderr, /does not resolve \(DNS\)/);
    const notProm = cli('metrics-store', 'check', '--url', env.ROLLGATE_SAMPLE_BASELINE_URL);
    assert.match(notProm.stderr, /is the URL the Prometheus server's base URL\?/);
  });
});

describe('rollgate canary and the action', () => {
  test('a retrospective canary from the terminal passes for equal services', async () => {
    const [b, c] = [`cb-${process.pid}`, `cc-${process.pid}`];
    await Promise.all([fleet.start(b), fleet.start(c)]);
    await fleet.scraped([b, c]);
    await new Promise((r) => setTimeout(r, 6000));
    const end = new Date().toISOString();
    const start = new Date(Date.now() - 6000).toISOString();
    const r = cli('canary', '--config', 'canary.yml', '--url', env.PROMETHEUS_URL, '--baseline', b, '--canary', c, '--start', start, '--end', end, '--step', '1s', '--report-dir', dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /retrospective analysis of 2 metric\(s\)/);
    assert.match(r.stdout, /interval 1\/1: score 100 \(Pass\)/);
  });

  test('the action fails the step below the marginal score, with outputs and the summary', async () => {
    const [b, c] = [`ab-${process.pid}`, `ac-${process.pid}`];
    await Promise.all([fleet.start(b, { errorRate: 0.01 }), fleet.start(c, { errorRate: 0.3 })]);
    await fleet.scraped([b, c]);
    await new Promise((r) => setTimeout(r, 6000));
    const ws = mkdtempSync(path.join(os.tmpdir(), 'ws-'));
    writeFileSync(path.join(ws, 'canary.yml'), config);
    const stage = `id: analysis
type: canary-analysis
metricStore: { url: "${env.PROMETHEUS_URL}" }
canaryConfig: canary.yml
startTime: "${new Date(Date.now() - 6000).toISOString()}"
endTime: "${new Date().toISOString()}"
step: 1s
baseline: ${b}
canary: ${c}
`;
    const r = await runStep({ inputs: { stage }, workspace: ws });
    assert.equal(r.exitCode, 1, r.stdout);
    assert.equal(r.outputs.result, 'failed');
    assert.equal(r.outputs['analysis-status'], 'failed');
    assert.equal(r.outputs['analysis-outcome'], 'failed', 'the analysis outcome, beside the stage status');
    assert.ok(Number(r.outputs['analysis-score']) <= 50, r.outputs['analysis-score']);
    assert.equal(r.outputs['analysis-classification'], 'Fail');
    assert.match(r.outputs['analysis-report']!, /analysis\..*\.canary\.json$/);
    const report = JSON.parse(readFileSync(r.outputs['analysis-report']!, 'utf8'));
    assert.equal(report.outcome.status, 'failed');
    assert.match(r.summary, /<h3>analysis<\/h3>/);
    assert.match(r.summary, /FAILED/);
    assert.match(r.summary, /error-ratio/);
    assert.match(r.summary, /Queries of interval 1/);
    assert.match(r.stdout, /::error title=rollgate%3A stage analysis failed/);
  });
});
