// Prometheus failing during an analysis: a restart within the retry window is ridden
// out; an outage past it fails the stage with the connection error. Never a pass.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runYaml } from '../helpers/engine.ts';
import { testEnv, eventually, promQuery } from '../helpers/testenv.ts';
import { SampleFleet, ERROR_RATIO_CONFIG } from '../helpers/samples.ts';
import { OwnPrometheus } from '../helpers/prometheus.ts';

const env = testEnv();
const fleet = new SampleFleet(env);
const proms: OwnPrometheus[] = [];
after(async () => {
  fleet.stop();
  for (const p of proms) await p.kill();
});
const reportDir = mkdtempSync(path.join(os.tmpdir(), 'canary-faults-'));

const pipeline = (url: string, b: string, c: string, retry: string) => `
name: faults
stages:
  - id: analysis
    type: canary-analysis
    metricStore: { url: "${url}", timeout: 1s }
    lifetime: 15s
    interval: 5s
    step: 1s
    baseline: ${b}
    canary: ${c}
    queryRetryWindow: ${retry}
    canaryConfig: ${ERROR_RATIO_CONFIG}
`;

async function setup(tag: string) {
  const prom = new OwnPrometheus();
  proms.push(prom);
  await prom.start();
  const [b, c] = [`${tag}b-${process.pid}`, `${tag}c-${process.pid}`];
  await Promise.all([fleet.start(b, { targetsDir: prom.targetsDir }), fleet.start(c, { targetsDir: prom.targetsDir })]);
  await eventually('own Prometheus has both', async () => (await promQuery({ ...env, PROMETHEUS_URL: prom.url }, `count(up{job="sample"} == 1)`))[0]?.value[1] === '2', 30_000);
  return { prom, b, c };
}

describe('Prometheus faults during canary analysis', { concurrency: true }, () => {
  test('stopped for good: the stage fails with the connection error after its retries', async () => {
    const { prom, b, c } = await setup('k');
    setTimeout(() => void prom.kill(), 6500); // after the first interval's verdict
    const r = await runYaml(pipeline(prom.url, b, c, '3s'), { reportDir });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.match(st.error!, /canary error: metric store "inline" \(http:\/\/127\.0\.0\.1:\d+\/?\): the connection was refused .*\(gave up after \d+ attempt\(s\) over 3\.0s\)/);
    assert.deepEqual(st.outputs.intervalScores, [100]);
    assert.ok(r.lines.some((l) => /retrying in 1\.0s \(attempt 2\)/.test(l)));
  });

  test('restarted within the retry window: the analysis continues and judges every interval', async () => {
    const { prom, b, c } = await setup('r');
    setTimeout(() => void prom.kill().then(() => new Promise((res) => setTimeout(res, 1500))).then(() => prom.start()), 6500);
    const r = await runYaml(pipeline(prom.url, b, c, '20s'), { reportDir });
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal((st.outputs.intervalScores as number[]).length, 3);
  });
});
