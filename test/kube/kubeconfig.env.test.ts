// Reading kubeconfigs: the fast path (certificates, tokens, files) and exec plugins through
// @kubernetes/client-node, against the real API server.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKubeClient } from '../../src/kube/client.ts';
import { testEnv, kubectl } from '../helpers/testenv.ts';

const env = testEnv();
const admin = JSON.parse(kubectl(env, ['config', 'view', '--raw', '-o', 'json']).stdout);
const dir = mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
const token = kubectl(env, ['-n', 'kube-system', 'create', 'token', 'default']).stdout.trim();
const write = (name: string, users: unknown[], extra: Record<string, unknown> = {}) => {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: admin.clusters[0].cluster }],
      users,
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'kube-system' } }],
      'current-context': 'ctx',
      ...extra,
    }),
  );
  return file;
};

describe('kubeconfig', () => {
  test('client certificates (the local admin) and the context namespace', async () => {
    const kube = await createKubeClient({ kubeconfigPath: env.KUBECONFIG }, {});
    assert.ok((await kube.list('v1', 'Namespace')).some((n) => n.metadata.name === 'default'));
  });

  test('a token file, read relative to the kubeconfig', async () => {
    writeFileSync(path.join(dir, 'token'), token);
    const file = write('token.yaml', [{ name: 'u', user: { tokenFile: 'token' } }]);
    const kube = await createKubeClient({ kubeconfigPath: file }, {});
    assert.equal(kube.defaultNamespace, 'kube-system');
    // The default service account may list nothing, but the server must accept who we are.
    const sa = await kube.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }).catch((e: Error) => e.message);
    assert.match(String(typeof sa === 'string' ? sa : 'ok'), /ok|forbidden: User "system:serviceaccount:kube-system:default"/);
  });

  test('an exec plugin, through @kubernetes/client-node', async () => {
    const plugin = path.join(dir, 'credential-plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${token}"}}'\n`);
    chmodSync(plugin, 0o755);
    const file = write('exec.yaml', [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } }]);
    const kube = await createKubeClient({ kubeconfigPath: file }, {});
    const err = await kube.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }).then(() => 'ok', (e: Error) => e.message);
    assert.match(err, /^ok$|User "system:serviceaccount:kube-system:default"/);
  });

  test('a missing context names the contexts there are; an unreadable file is named', async () => {
    await assert.rejects(createKubeClient({ kubeconfigPath: env.KUBECONFIG, context: 'prod' }, {}), /the kubeconfig has no context "prod"; it has: /);
    await assert.rejects(createKubeClient({ kubeconfigPath: path.join(dir, 'nope') }, {}), /cannot read the kubeconfig .*nope: ENOENT/);
    await assert.rejects(createKubeClient({}, { KUBECONFIG: write('nocur.yaml', [], { 'current-context': '' }) }), /has no current context/);
  });
});
