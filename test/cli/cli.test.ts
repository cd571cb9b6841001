// The bundled CLI (dist/cli/index.js) as a user runs it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/runner.ts';

const CLI = path.join(ROOT, 'dist/cli/index.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-'));
const file = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return name;
};
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const pipeline = file(
  'pipe.yml',
  `name: demo
inputs:
  target: { default: staging, options: [staging, production] }
stages:
  - { id: pause, type: wait, duration: 20ms }
  - { id: gate, type: precondition, dependsOn: [pause], expression: "inputs.target == 'production'" }
`,
);

describe('rollgate CLI', () => {
  test('run: exit 0 when the pipeline succeeds, with a stage table and the report path', () => {
    const r = cli('run', pipeline, '--input', 'target=production', '--report-dir', dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /✔ pause\s+succeeded/);
    assert.match(r.out, /Pipeline demo succeeded/);
    const report = JSON.parse(readFileSync(path.join(dir, 'demo.report.json'), 'utf8'));
    assert.equal(report.result, 'succeeded');
    assert.deepEqual(report.inputs, { target: 'production' });
  });

  test('run: exit 1 when a stage fails, with the file:line of the stage on stderr', () => {
    const r = cli('run', pipeline);
    assert.equal(r.code, 1);
    assert.match(r.out, /✖ gate\s+failed/);
    assert.match(r.err, /pipe.yml:6: stage gate: Precondition failed: inputs.target == 'production' is false \(inputs.target = "staging"\)/);
  });

  test('run --stage runs only the named stages', () => {
    const r = cli('run', pipeline, '--stage', 'pause');
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /\bgate\b/);
  });

  test('validate: exit 0 for a valid file, 2 with located errors for an invalid one', () => {
    const ok = cli('validate', pipeline);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /pipe.yml is valid: pipeline "demo" with 2 stage\(s\)/);
    const bad = cli('validate', file('bad.yml', 'name: x\nstages:\n  - { id: a, type: wait }\n'));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /bad.yml:3:5: stages\[0\]\.duration is required; expected a duration/);
  });

  test('usage errors exit 2: unknown command, missing file, bad --input, unknown option', () => {
    assert.equal(cli('deploy', pipeline).code, 2);
    assert.equal(cli('run').code, 2);
    const badInput = cli('run', pipeline, '--input', 'novalue');
    assert.equal(badInput.code, 2);
    assert.match(badInput.err, /--input has "novalue"; expected NAME=VALUE/);
    assert.equal(cli('run', pipeline, '--frobnicate').code, 2);
    assert.equal(cli('run', 'missing.yml').code, 2);
    assert.match(cli('run', 'missing.yml').err, /missing.yml: \(top level\) does not exist/);
  });

  test('--help prints usage and exits 0', () => {
    const r = cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /rollgate run <pipeline.yml>/);
  });

  test('--dry-run makes wait stages return at once', () => {
    const r = cli('run', file('slow.yml', 'name: slow\nstages:\n  - { id: w, type: wait, duration: 1h }\n'), '--dry-run');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\(dry run\)/);
  });
});
