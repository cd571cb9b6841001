// The pipelines in docs/github.md are valid: each ```yaml block that starts with a
// `# deploy/<file>.yml` line is loaded as the pipeline file it claims to be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPipeline } from '../../src/config/pipeline.ts';
import { docsRegistry, namedBlocks } from './docs-blocks.ts';

test('every pipeline file in docs/github.md loads', () => {
  const pipelines = namedBlocks('docs/github.md').filter((b) => b.name.startsWith('deploy/'));
  assert.deepEqual(pipelines.map((p) => p.name), ['deploy/release.yml', 'deploy/production.yml', 'deploy/preview.yml']);
  for (const p of pipelines) assert.doesNotThrow(() => loadPipeline(p.text, p.name, docsRegistry), `${p.name} does not load`);
});
