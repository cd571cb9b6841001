// Shared by the bake tests: a workspace holding copies of the fixture charts, the stages
// under test added to the test registry, and readers for what a bake wrote.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runYaml, testRegistry } from '../helpers/engine.ts';
import { ROOT } from '../helpers/runner.ts';
import { bake } from '../../src/stages/bake.ts';
import { makeImageTag } from '../../src/stages/image-tag.ts';
import type { Registry } from '../../src/stages/registry.ts';
import type { StageType } from '../../src/pipeline/types.ts';

export const CHARTS = path.join(ROOT, 'test/fixtures/charts');
export const KUSTOMIZE = path.join(ROOT, 'test/bake/fixtures/kustomize');

/** 2026-03-05 14:30:09 UTC: the clock the image-tag stage reads in tests. */
export const CLOCK = new Date('2026-03-05T14:30:09Z');

export const registry: Registry = {
  ...testRegistry,
  bake: bake as StageType<unknown>,
  'image-tag': makeImageTag(() => CLOCK) as StageType<unknown>,
};

/** A fresh workspace with charts/ (the fixture charts) and kustomize/ (base + overlay). */
export function workspace(): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'rg-bake-'));
  cpSync(CHARTS, path.join(ws, 'charts'), { recursive: true });
  cpSync(KUSTOMIZE, path.join(ws, 'kustomize'), { recursive: true });
  return ws;
}

export function run(yaml: string, ws: string, opts: Parameters<typeof runYaml>[1] = {}) {
  return runYaml(yaml, { workspace: ws, registry, ...opts });
}

export type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; data?: Record<string, string>; spec?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export function manifests(ws: string, file: string): Obj[] {
  return parseAllDocuments(readFileSync(path.join(ws, file), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

/** The values the web chart saw, with the types helm gave them (its ConfigMap holds them as JSON). */
export function chartValues(ws: string, file: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const cm = manifests(ws, file).find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-values'));
  if (!cm) throw new Error(`no values ConfigMap in ${file}`);
  return JSON.parse(cm.data!['values.json']!);
}
