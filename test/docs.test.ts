// The published schema and the README tables are generated; they must be current.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import path from 'node:path';
import { ROOT } from './helpers/runner.ts';

test('schema/*.json and the README tables match the code and action.yml', () => {
  const r = spawnSync(process.execPath, ['scripts/docs.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('action.yml declares exactly the inputs the action reads', () => {
  const declared = Object.keys(parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')).inputs).sort();
  const source = readFileSync(path.join(ROOT, 'src/action/inputs.ts'), 'utf8');
  const read = [...source.matchAll(/getInput\('([\w-]+)'\)/g)].map((m) => m[1]).sort();
  assert.deepEqual([...new Set(read)], declared);
});

test('the published schema rejects unknown keys and lists every stage type', async () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'schema/pipeline.schema.json'), 'utf8'));
  assert.equal(schema.additionalProperties, false);
  const stage = schema.properties.stages.items;
  const { stageTypes } = await import('../src/stages/registry.ts');
  assert.deepEqual(stage.properties.type.enum, Object.keys(stageTypes));
  for (const branch of stage.allOf) assert.equal(branch.then.additionalProperties, false);
});
