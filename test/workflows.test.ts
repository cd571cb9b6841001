// Every workflow we publish is clean under actionlint (built by scripts/testenv/build.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { tool } from '../scripts/tools.mjs';
import { ROOT } from './helpers/runner.ts';

test('workflows in .github/workflows and examples/ pass actionlint', () => {
  const files = globSync(['.github/workflows/*.yml', 'examples/workflows/*.yml'], { cwd: ROOT });
  assert.ok(files.includes('.github/workflows/ci.yml'));
  assert.ok(files.filter((f) => f.startsWith('examples/')).length >= 2, `examples: ${files}`);
  const r = spawnSync(tool('actionlint'), ['-no-color', ...files], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `actionlint found problems:\n${r.stdout}${r.stderr}`);
});

test('actionlint does catch a broken workflow (the check can fail)', () => {
  const r = spawnSync(tool('actionlint'), ['-no-color', '-'], {
    cwd: ROOT,
    encoding: 'utf8',
    input: 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n',
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /nope/);
});
