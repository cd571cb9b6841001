// `npm test` runs everything: it builds or reuses the cached tools, rebuilds dist/,
// brings the local environment up (reusing a running one) and runs every test file.
// `npm run test:unit` runs only the tests that need neither. Nothing is skipped
// silently: if the environment cannot start, the run fails with the reason.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, globSync, mkdirSync, readFileSync } from 'node:fs';

const mode = process.argv[2] ?? 'all';
const needsEnv = (f) => f.startsWith('test/workflows') || f.startsWith('test/env/') || f.startsWith('test/e2e/') || f.includes('.env.test.');

let startedEnv = false;
if (mode === 'all') {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const wasUp = existsSync('.testenv/state.json') && Object.keys(JSON.parse(readFileSync('.testenv/state.json', 'utf8')).processes ?? {}).length > 0;
  const up = spawnSync(process.execPath, ['scripts/testenv/env.mjs', 'up'], { stdio: 'inherit' });
  if (up.status !== 0) {
    console.error('The local test environment could not start (see above); no test was run.');
    process.exit(1);
  }
  startedEnv = !wasUp;
}
const files = globSync('test/**/*.test.ts')
  .sort()
  .filter((f) => mode === 'all' || !needsEnv(f));
// Beside the spec reporter, the results go to a file, from which RELIABILITY.md is checked.
const results = '.testenv/test-results.json';
mkdirSync('.testenv', { recursive: true });
const reporters = mode === 'all' ? ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./scripts/reliability/reporter.mjs', `--test-reporter-destination=${results}`] : ['--test-reporter=spec'];
const r = spawnSync(process.execPath, ['--test', ...reporters, ...files], { stdio: 'inherit' });
// RELIABILITY.md must describe this run: the cases it counts are the tests that ran.
const table = mode === 'all' ? spawnSync(process.execPath, ['scripts/reliability/table.mjs', results], { stdio: 'inherit' }) : { status: 0 };
// In CI, leave the machine as it was found.
if (startedEnv && process.env.CI) spawnSync(process.execPath, ['scripts/testenv/env.mjs', 'down'], { stdio: 'inherit' });
process.exit(r.status || table.status || 0);
