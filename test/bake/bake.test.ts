// The bake stage without the local environment: configuration checks, tool lookup,
// running tools (bounded, cancellable), and the document split.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPipeline } from '../../src/config/pipeline.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { runTool, findOnPath, MAX_ERROR_CHARS } from '../../src/bake/exec.ts';
import { helmTool, overrideArgs } from '../../src/bake/helm.ts';
import { kustomizeTool } from '../../src/bake/kustomize.ts';
import { splitDocuments, joinDocuments, kindsOf } from '../../src/bake/documents.ts';
import { compareVersions } from '../../src/bake/chart-repository.ts';
import { registry, run, workspace } from './helpers.ts';
import { withEnv } from '../helpers/env-vars.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'rg-bake-unit-'));
const script = (dir: string, name: string, body: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
};

function configErrors(stage: string): string {
  try {
    loadPipeline(`name: p\nstages:\n  - id: bake\n    type: bake\n${stage.replace(/^/gm, '    ')}\n`, 'test.yml', registry);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return '';
}


describe('bake: configuration is checked before anything runs', () => {
  test('helm needs a chart; kustomize needs a kustomization and takes no helm fields', () => {
    assert.match(configErrors('engine: helm'), /stages\[0\]\.chart is required with engine: helm/);
    assert.match(configErrors('engine: kustomize'), /stages\[0\]\.kustomization is required with engine: kustomize/);
    assert.match(configErrors('engine: kustomize\nkustomization: k\nreleaseName: web'), /stages\[0\]\.releaseName is a helm field, but engine is kustomize/);
    assert.match(configErrors('kustomization: k'), /stages\[0\]\.kustomization is a kustomize field, but engine is helm \(the default\); set engine: kustomize/);
    assert.match(configErrors('engine: jsonnet\nchart: c'), /stages\[0\]\.engine has the string "jsonnet"; expected one of "helm", "kustomize"/);
  });

  test('version and credentials only with a repository; username and password together; versions quoted', () => {
    assert.match(configErrors('chart: charts/web\nversion: "1.2.0"'), /stages\[0\]\.version only applies to a chart from a repository/);
    assert.match(configErrors('chart: web\nrepository: https://charts.example.com\nusername: robot'), /stages\[0\]\.password is missing; username and password go together/);
    assert.match(configErrors('chart: web\nrepository: https://charts.example.com\npassword: { value: x }'), /password\.value is not a known key; expected one of fromEnv/);
    assert.match(configErrors('chart: web\nrepository: https://charts.example.com\nversion: 1.10'), /version has the number 1\.1; expected an exact chart version in quotes/);
    assert.match(configErrors('chart: web\nrepository: oci://ghcr.io/acme/charts'), /repository has the string "oci:\/\/ghcr.io\/acme\/charts"; expected an http:\/\/ or https:\/\/ URL/);
    assert.match(configErrors('chart: c\nkubeVersion: 1.30'), /kubeVersion has the number 1\.3; expected a Kubernetes version in quotes/);
    assert.match(configErrors('chart: c\nreleaseName: Web_App'), /releaseName has the string "Web_App"; expected a helm release name/);
    assert.match(configErrors('chart: c\noverrides: { image: { tag: x } }'), /overrides\.image has a mapping; expected a string, number or boolean/);
    // Partial references are checked after substitution, when they are whole.
    assert.doesNotThrow(() =>
      loadPipeline('name: p\ninputs: { app: {} }\nstages:\n  - { id: b, type: bake, chart: charts/$(inputs.app), releaseName: $(inputs.app)-web, kubeVersion: $(inputs.app) }\n', 'test.yml', registry),
    );
  });
});

describe('bake: finding the tools', () => {
  test('helm: ROLLGATE_HELM, else PATH; neither is a clear error that says how to install it', async () => {
    const dir = tmp();
    const fake = script(dir, 'helm', 'echo fake');
    assert.deepEqual(helmTool({ ROLLGATE_HELM: '/opt/helm', PATH: dir }), { name: 'helm', file: '/opt/helm', foundVia: 'ROLLGATE_HELM' });
    assert.deepEqual(helmTool({ PATH: `/nonexistent${path.delimiter}${dir}` }), { name: 'helm', file: fake, foundVia: 'PATH' });
    assert.throws(() => helmTool({ PATH: '/nonexistent' }), /helm was not found: ROLLGATE_HELM is not set and no helm is on PATH\. GitHub's ubuntu runners come with helm; elsewhere add a setup step \(uses: azure\/setup-helm@v4\)/);
    // A directory named helm, or a file that is not executable, is not helm.
    const asDir = tmp();
    mkdirSync(path.join(asDir, 'helm'));
    const notExecutable = tmp();
    writeFileSync(path.join(notExecutable, 'helm'), '');
    assert.equal(findOnPath('helm', { PATH: [asDir, notExecutable].join(path.delimiter) }), undefined);
  });

  test('a bake with no helm anywhere fails the stage with that message; a wrong ROLLGATE_HELM names itself', async () => {
    const ws = workspace();
    const none = await withEnv({ ROLLGATE_HELM: undefined, PATH: '/nonexistent' }, () => run('name: p\nstages:\n  - { id: bake, type: bake, chart: charts/web }', ws));
    assert.match(none.report.stages[0]!.error!, /^helm was not found: ROLLGATE_HELM is not set and no helm is on PATH\. .*set ROLLGATE_HELM to the helm binary's path$/);
    const wrong = await withEnv({ ROLLGATE_HELM: '/opt/no/helm' }, () => run('name: p\nstages:\n  - { id: bake, type: bake, chart: charts/web }', ws));
    assert.match(wrong.report.stages[0]!.error!, /^helm was not found at \/opt\/no\/helm \(from ROLLGATE_HELM\)\. GitHub's ubuntu runners/);
  });

  test('kustomize: ROLLGATE_KUSTOMIZE, ROLLGATE_KUBECTL, then kustomize on PATH, then kubectl on PATH', () => {
    const both = tmp();
    const kustomize = script(both, 'kustomize', 'true');
    const kubectl = script(both, 'kubectl', 'true');
    const onlyKubectl = tmp();
    const kubectl2 = script(onlyKubectl, 'kubectl', 'true');
    assert.deepEqual(kustomizeTool({ ROLLGATE_KUSTOMIZE: '/k', ROLLGATE_KUBECTL: '/c', PATH: both }), { tool: { name: 'kustomize', file: '/k', foundVia: 'ROLLGATE_KUSTOMIZE' }, args: ['build'] });
    assert.deepEqual(kustomizeTool({ ROLLGATE_KUBECTL: '/c', PATH: both }), { tool: { name: 'kubectl', file: '/c', foundVia: 'ROLLGATE_KUBECTL' }, args: ['kustomize'] });
    assert.deepEqual(kustomizeTool({ PATH: both }), { tool: { name: 'kustomize', file: kustomize, foundVia: 'PATH' }, args: ['build'] });
    assert.deepEqual(kustomizeTool({ PATH: onlyKubectl }), { tool: { name: 'kubectl', file: kubectl2, foundVia: 'PATH' }, args: ['kustomize'] });
    assert.notEqual(kubectl, kubectl2);
    assert.throws(() => kustomizeTool({ PATH: '/nonexistent' }), /neither kustomize nor kubectl was found: ROLLGATE_KUSTOMIZE and ROLLGATE_KUBECTL are not set and neither is on PATH\. .*azure\/setup-kubectl@v4/);
  });
});

describe('bake: running a tool', () => {
  const opts = (signal = new AbortController().signal, maxOutputBytes?: number) => ({ cwd: os.tmpdir(), env: process.env, signal, maxOutputBytes, installHint: 'Install it.' });

  test('standard output is returned; a failure carries the tool\'s own words, bounded', async () => {
    const dir = tmp();
    const ok = script(dir, 'ok', 'echo "a: 1"');
    assert.equal(await runTool({ name: 'ok', file: ok, foundVia: 'PATH' }, ['x'], opts()), 'a: 1\n');
    const bad = script(dir, 'bad', 'echo "Error: chart is bad" >&2; head -c 5000 /dev/zero | tr "\\0" x >&2; exit 3');
    const e = await runTool({ name: 'bad', file: bad, foundVia: 'PATH' }, ['template'], opts()).catch((x: Error) => x);
    assert.match((e as Error).message, /^bad template failed \(exit code 3\): Error: chart is bad\nx+… \(\d+ more characters\)$/);
    assert.ok((e as Error).message.length < MAX_ERROR_CHARS + 100);
  });

  test('output past the limit stops the tool with a clear error', async () => {
    const loud = script(tmp(), 'loud', 'exec yes "kind: ConfigMap"');
    const started = performance.now();
    const e = await runTool({ name: 'loud', file: loud, foundVia: 'PATH' }, ['build'], opts(undefined, 1024 * 1024)).catch((x: Error) => x);
    assert.match((e as Error).message, /^loud build wrote more than 1 MiB of output and was stopped/);
    assert.ok(performance.now() - started < 20_000);
  });

  test('cancellation kills the tool at once and rejects with the signal\'s reason', async () => {
    const slow = script(tmp(), 'slow', 'exec sleep 30');
    const ac = new AbortController();
    const started = performance.now();
    setTimeout(() => ac.abort(new Error('stage timed out')), 100);
    const e = await runTool({ name: 'slow', file: slow, foundVia: 'PATH' }, [], opts(ac.signal)).catch((x: Error) => x);
    assert.equal((e as Error).message, 'stage timed out');
    // The tool would sleep 30 s; well under that means it was killed (loose bound: CI machines can be busy).
    assert.ok(performance.now() - started < 10_000, 'the child was killed, not waited for');
  });

  test('a file that is not executable', async () => {
    const file = path.join(tmp(), 'helm');
    writeFileSync(file, '');
    const e = await runTool({ name: 'helm', file, foundVia: 'ROLLGATE_HELM' }, [], opts()).catch((x: Error) => x);
    assert.match((e as Error).message, /is not executable; check its permissions \(chmod \+x\) or point ROLLGATE_HELM at a working helm/);
  });
});

describe('bake: helm arguments and documents', () => {
  test('--set-string escapes commas and backslashes; --set passes helm syntax through', () => {
    assert.deepEqual(overrideArgs({ 'image.tag': '1.4,2', path: 'C:\\x', n: 3, on: true }, false), [
      '--set-string',
      'image.tag=1.4\\,2',
      '--set-string',
      'path=C:\\\\x',
      '--set-string',
      'n=3',
      '--set-string',
      'on=true',
    ]);
    assert.deepEqual(overrideArgs({ list: '{a,b}', n: 3 }, true), ['--set', 'list={a,b}', '--set', 'n=3']);
  });

  test('documents: split at column-0 markers, empty ones ignored, tests recognised, text kept', () => {
    const yaml = [
      '# leading comment only',
      '---',
      '# Source: web/templates/cm.yaml',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: { name: cm }',
      'data:',
      '  script: |',
      '    ---',
      '    not a separator',
      '---',
      '---',
      '# Source: web/charts/db/templates/tests/t.yaml',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: sub-test }',
      '--- {apiVersion: v1, kind: Pod, metadata: {name: hooked, annotations: {helm.sh/hook: "pre-install, test"}}}',
      '...',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: install-hook, annotations: { helm.sh/hook: pre-install } }',
    ].join('\n');
    const docs = splitDocuments(yaml);
    assert.deepEqual(
      docs.map((d) => [d.kind, d.name, d.source, d.isTest]),
      [
        ['ConfigMap', 'cm', 'web/templates/cm.yaml', false],
        ['Pod', 'sub-test', 'web/charts/db/templates/tests/t.yaml', true],
        ['Pod', 'hooked', undefined, true],
        ['Pod', 'install-hook', undefined, false],
      ],
    );
    assert.match(docs[0]!.text, /script: \|\n {4}---\n {4}not a separator$/);
    assert.deepEqual(kindsOf(docs), ['ConfigMap', 'Pod']);
    assert.equal(joinDocuments(docs.slice(0, 1)), `---\n${docs[0]!.text}\n`);
    assert.throws(() => splitDocuments('---\n# Source: x.yaml\na: [1\n'), /the rendered output's document 2 \(x.yaml\) is not valid YAML/);
  });

  test('chart versions order as semantic versions, pre-releases first', () => {
    const sorted = ['1.10.0', '1.9.0', '2.0.0-rc.1', '2.0.0', '2.0.0-rc.10', '2.0.0-alpha', 'v1.2'].sort(compareVersions);
    assert.deepEqual(sorted, ['v1.2', '1.9.0', '1.10.0', '2.0.0-alpha', '2.0.0-rc.1', '2.0.0-rc.10', '2.0.0']);
  });
});
