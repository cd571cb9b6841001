// The workflows in docs/github.md and docs/jenkins.md pass actionlint (built by
// scripts/testenv/build.sh), as the repository's own workflows do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tool } from '../../scripts/tools.mjs';
import { namedBlocks } from './docs-blocks.ts';

test('the workflows in the GitHub and Jenkins docs pass actionlint', () => {
  const blocks = ['docs/github.md', 'docs/jenkins.md'].flatMap((f) => namedBlocks(f).filter((b) => b.name.startsWith('.github/workflows/')).map((b) => ({ ...b, doc: f })));
  assert.deepEqual(blocks.map((b) => b.name), [
    '.github/workflows/release.yml',
    '.github/workflows/smoke.yml',
    '.github/workflows/production.yml',
    '.github/workflows/preview.yml',
    '.github/workflows/ci.yml',
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-docs-'));
  try {
    mkdirSync(path.join(dir, '.github/workflows'), { recursive: true });
    for (const b of blocks) writeFileSync(path.join(dir, b.name), b.text);
    const r = spawnSync(tool('actionlint'), ['-no-color', ...blocks.map((b) => b.name)], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `actionlint found problems:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
