// Paths in pipelines that try to leave the workspace — `..`, absolute paths, and symbolic
// links inside the workspace that point out of it — are refused before anything is read, for
// every field that names a file: deploy's files, bake's chart, values files and
// kustomization. No cluster or tool is reached: the refusal comes first.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, workspace } from '../bake/helpers.ts';

function setup(): { ws: string; secret: string } {
  const ws = workspace();
  const outside = mkdtempSync(path.join(os.tmpdir(), 'rg-outside-'));
  const secret = path.join(outside, 'secret.yml');
  writeFileSync(secret, 'apiVersion: v1\nkind: Secret\nmetadata: { name: stolen }\nstringData: { token: s3cr3t-outside }\n');
  mkdirSync(path.join(ws, 'deploy'));
  symlinkSync(secret, path.join(ws, 'deploy', 'link.yml'));
  symlinkSync(outside, path.join(ws, 'linked-dir'));
  return { ws, secret };
}

const stage = (fields: string) => `name: p\nstages:\n  - id: s\n${fields.replace(/^/gm, '    ')}\n`;

describe('paths outside the workspace', () => {
  const cases: [string, (secret: string) => string, RegExp][] = [
    ['deploy files: ..', () => 'type: deploy\nfiles: ["../../etc/passwd"]', /files\[0\].*is "\.\.\/\.\.\/etc\/passwd", which is outside the workspace/],
    ['deploy files: an absolute path', (secret) => `type: deploy\nfiles: ["${secret}"]`, /files\[0\].*which is outside the workspace/],
    ['deploy files: a symbolic link that points out', () => 'type: deploy\nfiles: ["deploy/link.yml"]', /files\[0\].*is "deploy\/link\.yml", which links to a file outside the workspace/],
    ['deploy files: a glob through a linked directory', () => 'type: deploy\nfiles: ["linked-dir/*.yml"]', /files\[0\].*which links to a file outside the workspace/],
    ['bake chart: ..', () => 'type: bake\nchart: ../charts/web', /chart.*which is outside the workspace/],
    ['bake values file: a symbolic link that points out', () => 'type: bake\nchart: charts/web\nvaluesFiles: [deploy/link.yml]', /valuesFiles\[0\].*which links to a file outside the workspace/],
    ['kustomize directory: ..', () => 'type: bake\nengine: kustomize\nkustomization: ../', /kustomization.*which is outside the workspace/],
  ];
  for (const [name, fields, message] of cases) {
    test(`${name} is refused, naming the field and the path`, async () => {
      const { ws, secret } = setup();
      const r = await run(stage(fields(secret)), ws);
      const st = r.report.stages[0]!;
      assert.equal(st.status, 'failed');
      assert.match(st.error!, message);
      assert.ok(!JSON.stringify(r.report).includes('s3cr3t-outside'), 'nothing of the outside file was read into the report');
    });
  }
});
