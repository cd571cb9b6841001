// The bundle in dist/, run as the Actions runner runs it.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStep } from '../helpers/runner.ts';
import { startServer, json } from '../helpers/http-server.ts';

const servers: { close(): Promise<void> }[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('the action (dist/index.js under the runner protocol)', () => {
  test('runs a webhook → precondition pipeline; sets outputs and the summary; post cleans up', async () => {
    const s = await startServer((req, res) => json(res, 200, { deployable: true, build: 17 }));
    servers.push(s);
    const ws = workspace({
      'pipe.yml': `name: release
inputs:
  target: { options: [staging, production] }
stages:
  - id: ask
    type: webhook
    url: ${s.url}/check
    extract: { build: build }
  - id: gate
    type: precondition
    dependsOn: [ask]
    expression: stages.ask.outputs.json.deployable == true && inputs.target == 'production'
`,
    });
    const r = await runStep({ inputs: { pipeline: 'pipe.yml', inputs: '{"target": "production"}' }, workspace: ws });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.outputs.result, 'succeeded');
    assert.equal(r.outputs['ask-status'], 'succeeded');
    assert.equal(r.outputs['ask-statusCode'], '200');
    assert.equal(r.outputs['ask-build'], '17');
    assert.equal(r.outputs['gate-result'], 'true');
    assert.deepEqual(JSON.parse(r.outputs.artifacts!), []);
    const report = JSON.parse(readFileSync(r.outputs.report!, 'utf8'));
    assert.deepEqual(report.stages.map((x: { id: string; status: string }) => `${x.id}:${x.status}`), ['ask:succeeded', 'gate:succeeded']);
    assert.match(r.summary, /<h2>rollgate: release succeeded<\/h2>/);
    assert.match(r.summary, /<code>build<\/code>=17/);
    assert.match(r.stdout, /::group::ask \(webhook\)/);
    // The post step removes the private temporary directory the main step made.
    assert.ok(r.state.tempDir && r.state.tempDir.startsWith(r.runnerTemp));
    assert.equal(r.post!.exitCode, 0);
    assert.ok(!existsSync(r.state.tempDir));
  });

  test('a failing precondition fails the step (exit 1) with an annotation on the pipeline line', async () => {
    const ws = workspace({
      'pipe.yml': `name: gated
inputs:
  choice: {}
stages:
  - id: judge
    type: precondition
    expression: inputs.choice == 'promote'
`,
    });
    const r = await runStep({ inputs: { pipeline: 'pipe.yml', inputs: 'choice: rollback' }, workspace: ws });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.result, 'failed');
    assert.equal(r.outputs['judge-status'], 'failed');
    assert.match(r.stdout, /::error title=rollgate%3A stage judge failed,file=pipe.yml,line=5::Precondition failed: inputs.choice == 'promote' is false \(inputs.choice = "rollback"\)/);
    assert.match(r.stdout, /::error::Pipeline gated failed: stage judge/);
  });

  test('an invalid pipeline fails with file:line errors and result=invalid', async () => {
    const ws = workspace({ 'pipe.yml': 'name: x\nstages:\n  - id: a\n    type: wait\n    duration: soon\n' });
    const r = await runStep({ inputs: { pipeline: 'pipe.yml' }, workspace: ws });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.result, 'invalid');
    assert.match(r.stdout, /::error title=rollgate%3A invalid configuration,file=pipe.yml,line=5::pipe.yml:5:15: stages\[0\]\.duration has the string "soon"/);
  });

  test('bad inputs are named: neither pipeline nor stage, a path outside the workspace, malformed artifacts', async () => {
    const ws = workspace({});
    const none = await runStep({ inputs: {}, workspace: ws, post: false });
    assert.match(none.stdout, /::error::Invalid configuration:%0Aaction inputs: pipeline is empty and so is 'stage'/);
    const outside = await runStep({ inputs: { pipeline: '../../etc/passwd' }, workspace: ws, post: false });
    assert.match(outside.stdout, /the pipeline path: \(top level\) is "..\/..\/etc\/passwd", which is outside the workspace/);
    const arts = await runStep({ inputs: { stage: 'type: wait\nduration: 1ms', artifacts: '[{"type": "docker/image"}]' }, workspace: ws, post: false });
    assert.match(arts.stdout, /artifacts is invalid: \[0\]\.name is required/);
    const dry = await runStep({ inputs: { stage: 'type: wait\nduration: 1ms', 'dry-run': 'yes' }, workspace: ws, post: false });
    assert.match(dry.stdout, /dry-run has "yes"; expected true or false/);
  });

  test('an inline stage runs, and artifacts given in are passed through to the output', async () => {
    const ws = workspace({});
    const given = [{ type: 'docker/image', name: 'ghcr.io/acme/web', version: '3', reference: 'ghcr.io/acme/web:3' }];
    const r = await runStep({
      inputs: { stage: 'type: wait\nduration: 10ms\nrequiredArtifacts: [{ type: docker/image, name: ghcr.io/acme/web }]', artifacts: JSON.stringify(given) },
      workspace: ws,
    });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(r.outputs['wait-waitedMs'], '10');
    assert.deepEqual(JSON.parse(r.outputs.artifacts!), given);
  });

  test('a large output goes to a file in the workspace and the output holds its path', async () => {
    const big = 'y'.repeat(200 * 1024);
    const s = await startServer((req, res) => res.end(big));
    servers.push(s);
    const ws = workspace({});
    const r = await runStep({ inputs: { stage: `type: webhook\nid: big\nmethod: GET\nurl: ${s.url}` }, workspace: ws });
    assert.equal(r.exitCode, 0, r.stdout);
    const file = r.outputs['big-body']!;
    assert.equal(file, path.join(ws, '.rollgate/outputs/big-body.txt'));
    assert.equal(readFileSync(file, 'utf8'), big);
    assert.ok(Buffer.byteLength(readFileSync(path.join(r.runnerTemp, 'output'))) < 100 * 1024);
  });

  test('HTML in values is escaped in the summary', async () => {
    const ws = workspace({ 'p.yml': 'name: "<img src=x onerror=alert(1)>"\nstages:\n  - { id: a, type: precondition, expression: "false", message: "<script>x</script>" }\n' });
    const r = await runStep({ inputs: { pipeline: 'p.yml' }, workspace: ws });
    assert.ok(!r.summary.includes('<img'), r.summary);
    assert.ok(!r.summary.includes('<script>'));
    assert.match(r.summary, /&#60;img src=x onerror=alert\(1\)&#62;/);
  });

  test('SIGTERM cancels running stages, writes the report and exits non-zero', async () => {
    const ws = workspace({ 'p.yml': 'name: long\nstages:\n  - { id: sleepy, type: wait, duration: 1h }\n  - { id: after, type: wait, duration: 1s, dependsOn: [sleepy] }\n' });
    let pid = 0;
    const started = performance.now();
    const pending = runStep({ inputs: { pipeline: 'p.yml' }, workspace: ws, onSpawn: (p) => (pid = p) });
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, 'SIGTERM');
    const r = await pending;
    assert.equal(r.exitCode, 1);
    assert.ok(performance.now() - started < 20_000);
    assert.equal(r.outputs.result, 'cancelled');
    assert.equal(r.outputs['sleepy-status'], 'cancelled');
    assert.equal(r.outputs['after-status'], 'skipped');
    const report = JSON.parse(readFileSync(r.outputs.report!, 'utf8'));
    assert.equal(report.result, 'cancelled');
    assert.ok(!existsSync(r.state.tempDir!), 'post step removed the temporary directory');
  });
});
