// The pipeline in docs/jenkins.md is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPipeline } from '../../src/config/pipeline.ts';
import { docsRegistry, namedBlocks } from '../github/docs-blocks.ts';

test('the pipeline file in docs/jenkins.md loads', () => {
  const pipelines = namedBlocks('docs/jenkins.md').filter((b) => b.name.startsWith('deploy/'));
  assert.deepEqual(pipelines.map((p) => p.name), ['deploy/ci.yml']);
  for (const p of pipelines) assert.doesNotThrow(() => loadPipeline(p.text, p.name, docsRegistry), `${p.name} does not load`);
});
