// The action bundle is loaded on every step: keep it lean (see BENCHMARKS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, globSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/runner.ts';

test('the action bundle leaves out the OIDC client and undici, which rollgate never uses', () => {
  const bundle = readFileSync(path.join(ROOT, 'dist/index.js'), 'utf8');
  assert.ok(!/undici/i.test(bundle), 'undici is in dist/index.js');
  for (const f of globSync('src/**/*.ts', { cwd: ROOT })) {
    assert.ok(!readFileSync(path.join(ROOT, f), 'utf8').includes('getIDToken'), `${f} uses getIDToken, which the bundle leaves out`);
  }
});

test('the action bundle stays under 400 KiB (the Kubernetes client loads only when a Kubernetes stage runs)', () => {
  const size = statSync(path.join(ROOT, 'dist/index.js')).size;
  assert.ok(size < 400 * 1024, `dist/index.js is ${Math.round(size / 1024)} KiB`);
});
