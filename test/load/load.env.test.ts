// Load: a pipeline of 50 parallel stages plus one that reads all their outputs, and a
// canary analysis whose one query returns 200 series per side. Behaviour only: every
// stage and every series must come through with the right result (BENCHMARKS.md has
// the time and memory these take).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runYaml } from '../helpers/engine.ts';
import { runStep } from '../helpers/runner.ts';
import { startServer, json, type Recorded } from '../helpers/http-server.ts';
import { eventually, promQuery, testEnv } from '../helpers/testenv.ts';

const STAGES = 50;
const SERIES = 200;
const ids = Array.from({ length: STAGES }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);

const cleanups: (() => unknown)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

/**
 * A server that answers no stage call until all 50 have arrived (so the pipeline only
 * succeeds when the 50 stages are in flight at once), each with a token of its own;
 * /collect records what the last stage gathered.
 */
async function stageServer() {
  const held: { req: Recorded; res: http.ServerResponse }[] = [];
  const tokens = new Map<string, string>();
  let peak = 0;
  const server = await startServer((req, res) => {
    const m = /^\/stage\/(s\d+)$/.exec(req.url);
    if (m) {
      tokens.set(m[1]!, `t-${m[1]}-${Math.random().toString(36).slice(2, 10)}`);
      held.push({ req, res });
      peak = Math.max(peak, held.length);
      if (held.length === STAGES) {
        for (const h of held.splice(0)) {
          const id = /(s\d+)$/.exec(h.req.url)![1]!;
          json(h.res, 200, { stage: id, token: tokens.get(id), arrived: STAGES });
        }
      }
      return;
    }
    if (req.url === '/collect') return json(res, 200, { received: Object.keys(JSON.parse(req.body)).length });
    json(res, 404, {});
  });
  cleanups.push(() => server.close());
  const yaml = `name: parallel-${STAGES}
stages:
${ids
  .map(
    (id) => `  - id: ${id}
    type: webhook
    url: ${server.url}/stage/${id}
    retries: 0
    requestTimeout: 60s
    extract: { token: token }`,
  )
  .join('\n')}
  - id: collect
    type: webhook
    dependsOn: [${ids.join(', ')}]
    url: ${server.url}/collect
    retries: 0
    body:
${ids.map((id) => `      ${id}: "$(stages.${id}.outputs.token)"`).join('\n')}
    extract: { received: received }
`;
  return { server, yaml, tokens, peak: () => peak };
}

describe(`a pipeline of ${STAGES} parallel stages and one after them`, () => {
  test('every stage runs at once and succeeds; the last stage reads all 50 outputs', { timeout: 120_000 }, async () => {
    const s = await stageServer();
    const r = await runYaml(s.yaml);
    assert.equal(r.report.result, 'succeeded', r.report.stages.filter((x) => x.error).map((x) => `${x.id}: ${x.error}`).join('\n'));
    assert.equal(r.report.stages.length, STAGES + 1);
    assert.deepEqual(r.report.stages.map((x) => x.id), [...ids, 'collect']);
    for (const st of r.report.stages) assert.equal(st.status, 'succeeded', `${st.id}: ${st.error}`);
    assert.equal(s.peak(), STAGES, 'all stage calls were in flight together');
    for (const id of ids) {
      const st = r.report.stages.find((x) => x.id === id)!;
      assert.equal(st.outputs.token, s.tokens.get(id));
      assert.equal(st.outputs.statusCode, 200);
      assert.deepEqual(st.outputs.json, { stage: id, token: s.tokens.get(id), arrived: STAGES });
    }
    const collected = s.server.requests.filter((q) => q.url === '/collect');
    assert.equal(collected.length, 1);
    assert.deepEqual(JSON.parse(collected[0]!.body), Object.fromEntries(ids.map((id) => [id, s.tokens.get(id)])));
    const last = r.report.stages.at(-1)!;
    assert.equal(last.outputs.received, STAGES);
    // The collecting stage started only after all 50 ended.
    const ends = r.report.stages.slice(0, STAGES).map((x) => Date.parse(x.startedAt!) + x.durationMs!);
    assert.ok(Date.parse(last.startedAt!) >= Math.max(...ends));
    // Each stage's log is kept in one group, in pipeline order.
    const groups = r.lines.filter((l) => l.startsWith('::group::'));
    assert.deepEqual(groups, [...ids, 'collect'].map((id) => `::group::${id} (webhook)`));
  });

  test('the action (dist/index.js) gives every stage its outputs, the stages JSON and a report of 51 stages', { timeout: 120_000 }, async () => {
    const s = await stageServer();
    const ws = mkdtempSync(path.join(os.tmpdir(), 'load-ws-'));
    cleanups.push(() => rmSync(ws, { recursive: true, force: true }));
    writeFileSync(path.join(ws, 'pipe.yml'), s.yaml);
    const r = await runStep({ inputs: { pipeline: 'pipe.yml' }, workspace: ws });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.outputs.result, 'succeeded');
    const stages = JSON.parse(r.outputs.stages!);
    assert.deepEqual(Object.keys(stages), [...ids, 'collect']);
    for (const id of ids) {
      assert.equal(r.outputs[`${id}-status`], 'succeeded');
      assert.equal(r.outputs[`${id}-token`], s.tokens.get(id));
      assert.equal(stages[id].token, s.tokens.get(id));
    }
    assert.equal(r.outputs['collect-received'], String(STAGES));
    const report = JSON.parse(readFileSync(r.outputs.report!, 'utf8'));
    assert.equal(report.stages.length, STAGES + 1);
    assert.ok(report.stages.every((x: { status: string }) => x.status === 'succeeded'));
    // The summary has one row per stage.
    for (const id of [...ids, 'collect']) assert.ok(r.summary.includes(`<code>${id}</code>`), id);
    assert.doesNotMatch(r.stderr, /Warning|MaxListeners/);
  });
});

describe(`${STAGES} parallel stages that do not all succeed`, () => {
  /** A pipeline of 50 webhook stages against a server that holds each call (or fails s07's), and a stage after them. */
  async function holdingServer(onCall: (id: string, res: http.ServerResponse, held: number) => void) {
    let held = 0;
    const server = await startServer((req, res) => {
      const id = req.url.slice('/stage/'.length);
      onCall(id, res, ++held);
    });
    cleanups.push(() => server.close());
    return `name: held
stages:
${ids.map((id) => `  - { id: ${id}, type: webhook, url: "${server.url}/stage/${id}", retries: 0, requestTimeout: 60s }`).join('\n')}
  - { id: after, type: wait, duration: 0, dependsOn: [${ids.join(', ')}] }
`;
  }

  test('cancelling the run while all 50 are in flight cancels each of them and skips the stage after them', { timeout: 60_000 }, async () => {
    const controller = new AbortController();
    const yaml = await holdingServer((_id, _res, held) => {
      if (held === STAGES) controller.abort();
    });
    const r = await runYaml(yaml, { signal: controller.signal });
    assert.equal(r.report.result, 'cancelled');
    assert.equal(r.report.stages.length, STAGES + 1);
    assert.deepEqual(r.report.stages.slice(0, STAGES).map((x) => x.status), ids.map(() => 'cancelled'));
    assert.equal(r.report.stages.at(-1)!.status, 'skipped');
  });

  test('one of 50 failing stops the other 49 (fail-pipeline) and the stage after them never starts', { timeout: 60_000 }, async () => {
    const yaml = await holdingServer((id, res) => {
      if (id === 's07') json(res, 400, { error: 'no' });
    });
    const r = await runYaml(yaml);
    assert.equal(r.report.result, 'failed');
    const byStatus = (status: string) => r.report.stages.filter((x) => x.status === status).map((x) => x.id);
    assert.deepEqual(byStatus('failed'), ['s07']);
    assert.match(r.report.stages[6]!.error!, /answered 400/);
    assert.deepEqual(byStatus('cancelled'), ids.filter((id) => id !== 's07'));
    assert.deepEqual(byStatus('skipped'), ['after']);
  });
});

describe(`a canary analysis of ${SERIES} series`, () => {
  const env = testEnv();
  const uniq = (name: string) => `${name}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;

  /** The exporter of test/load, scraped by the environment's Prometheus; resolves once both sides have samples. */
  async function exporter(baseline: string, canary: string, worse: string[]): Promise<void> {
    const child: ChildProcess = spawn(
      process.execPath,
      [path.join(import.meta.dirname, 'series-exporter.mjs'), '--baseline', baseline, '--canary', canary, '--series', String(SERIES), '--worse', worse.join(',')],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    cleanups.push(() => child.kill('SIGTERM'));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`the series exporter exited with ${code}`)));
    });
    const file = path.join(env.ROLLGATE_PROMETHEUS_TARGETS_DIR, `${baseline}.json`);
    writeFileSync(file, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { fleet: 'load' } }]));
    cleanups.push(() => rmSync(file, { force: true }));
    // Two scrapes at least, so the first step of the window already has a point.
    await eventually(
      `Prometheus samples of ${2 * SERIES} series`,
      async () => {
        const r = await promQuery(env, `count(count_over_time(rollgate_load_value{scope=~"${baseline}|${canary}"}[10s]) >= 2)`);
        return Number(r[0]?.value[1] ?? 0) === 2 * SERIES;
      },
      30_000,
    );
  }

  test('judges all 200 series every interval: the few made worse are High, the rest Pass', { timeout: 120_000 }, async () => {
    const [b, c] = [uniq('load-base'), uniq('load-can')];
    const worse = ['s007', 's042', 's123'];
    await exporter(b, c, worse);
    const reportDir = mkdtempSync(path.join(os.tmpdir(), 'load-reports-'));
    cleanups.push(() => rmSync(reportDir, { recursive: true, force: true }));
    const r = await runYaml(
      `name: series-${SERIES}
stages:
  - id: analysis
    type: canary-analysis
    metricStore: { url: "${env.PROMETHEUS_URL}" }
    lifetime: 10s
    interval: 5s
    step: 1s
    baseline: ${b}
    canary: ${c}
    canaryConfig:
      name: many-series
      groups: { load: 100 }
      metrics:
        - name: value
          groups: [load]
          failOn: increase
          query: sum by (series) (rollgate_load_value{scope="\${scope}"})
`,
      { reportDir },
    );
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    // 197 of 200 Pass in the only group.
    assert.equal(st.outputs.score, 98.5);
    assert.deepEqual(st.outputs.intervalScores, [98.5, 98.5]);
    const report = JSON.parse(readFileSync(st.outputs.report as string, 'utf8'));
    assert.equal(report.outcome.status, 'passed');
    assert.equal(report.outcome.intervals.length, 2);
    const names = Array.from({ length: SERIES }, (_, i) => `s${String(i).padStart(3, '0')}`);
    for (const interval of report.outcome.intervals) {
      const metrics = interval.verdict.metrics as { labels: { series: string }; classification: string; confidenceInterval?: unknown; canary: { count: number }; baseline: { count: number } }[];
      assert.equal(metrics.length, SERIES, `interval ${interval.index}`);
      assert.deepEqual(metrics.map((m) => m.labels.series).sort(), names);
      assert.deepEqual(interval.queries.map((q: { series: number }) => q.series), [SERIES, SERIES]);
      const high = metrics.filter((m) => m.classification === 'High').map((m) => m.labels.series).sort();
      assert.deepEqual(high, worse, `interval ${interval.index}`);
      assert.equal(metrics.filter((m) => m.classification === 'Pass').length, SERIES - worse.length);
      // Every series had points on both sides and went through the rank test.
      for (const m of metrics) {
        assert.ok(m.baseline.count >= 2 && m.canary.count >= 2, `${m.labels.series}: ${m.baseline.count} / ${m.canary.count} points`);
        assert.ok(m.confidenceInterval, m.labels.series);
      }
      assert.deepEqual(interval.verdict.groups.map((g: { counts: { Pass: number; High: number } }) => [g.counts.Pass, g.counts.High]), [[SERIES - worse.length, worse.length]]);
    }
    // The summary shows a row for every series.
    for (const n of names) assert.ok(st.summary!.includes(`series=${n}`), n);
  });
});
