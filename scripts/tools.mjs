// Paths of the tools scripts/testenv/build.sh caches, for tests and benchmarks.
import { readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const versions = Object.fromEntries(
  readFileSync(path.join(root, 'scripts/testenv/versions.sh'), 'utf8')
    .split('\n')
    .map((l) => /^([A-Z_]+)=(\S+)/.exec(l))
    .filter(Boolean)
    .map((m) => [m[1], m[2]]),
);
export const cacheDir = process.env.ROLLGATE_CACHE || path.join(os.homedir(), '.cache/rollgate-testenv');

const where = {
  actionlint: ['actionlint', versions.ACTIONLINT_VERSION],
  act: ['act', versions.ACT_VERSION],
  helm: ['helm', versions.HELM_VERSION],
  kwok: ['kwok', versions.KWOK_VERSION],
  kwokctl: ['kwok', versions.KWOK_VERSION],
  etcd: ['etcd', versions.ETCD_VERSION],
  'kube-apiserver': ['kube', versions.KUBE_VERSION],
  'kube-controller-manager': ['kube', versions.KUBE_VERSION],
  'kube-scheduler': ['kube', versions.KUBE_VERSION],
  kubectl: ['kube', versions.KUBE_VERSION],
};

/** The cached binary, or an error that says how to build it. */
export function tool(name) {
  const [dir, version] = where[name];
  const file = path.join(cacheDir, 'bin', `${dir}-${version}`, name);
  if (!existsSync(file)) throw new Error(`${name} ${version} is not built (${file} is missing); run: bash scripts/testenv/build.sh ${dir}`);
  return file;
}
export { versions };
