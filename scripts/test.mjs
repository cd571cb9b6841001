// `npm test` runs everything; `npm run test:unit` skips what needs built tools or the
// local environment. Nothing is skipped silently: a missing tool fails the run.
import { spawnSync, execFileSync } from 'node:child_process';
import { globSync } from 'node:fs';

const mode = process.argv[2] ?? 'all';
const needsTools = (f) => f.startsWith('test/workflows') || f.startsWith('test/env/') || f.startsWith('test/e2e/');

if (mode === 'all') {
  // Builds (or reuses from the cache) the tools the tests run: see scripts/testenv/build.sh.
  execFileSync('bash', ['scripts/testenv/build.sh', 'actionlint'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
const files = globSync('test/**/*.test.ts')
  .sort()
  .filter((f) => mode === 'all' || !needsTools(f));
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
