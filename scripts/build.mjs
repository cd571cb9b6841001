// Rebuilds dist/: TypeScript → lib/ (plain ESM), then one ncc bundle for the action
// (main and post) and one for the CLI.
import { execFileSync } from 'node:child_process';
import { rmSync, readFileSync, writeFileSync, chmodSync, cpSync, globSync } from 'node:fs';
import path from 'node:path';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
rmSync('lib', { recursive: true, force: true });
rmSync('dist', { recursive: true, force: true });
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
leaveOutOidc();
run('npx', ['ncc', 'build', 'lib/index.js', '-o', 'dist', '-m', '--license', 'licenses.txt', '-q']);
run('npx', ['ncc', 'build', 'lib/cli.js', '-o', 'dist/cli', '-m', '-q']);
const cli = 'dist/cli/index.js';
const text = readFileSync(cli, 'utf8');
if (!text.startsWith('#!')) writeFileSync(cli, `#!/usr/bin/env node\n${text}`);
chmodSync(cli, 0o755);
rmSync('lib', { recursive: true, force: true });

// @actions/core imports its OIDC client at load time, and with it undici: about 450 KiB
// of bundle and 40 ms on every step start (BENCHMARKS.md). rollgate never asks for an
// OIDC token, so the bundle is built from a copy of @actions/core without that import.
// test/action/bundle.test.ts checks the bundle stays free of it.
function leaveOutOidc() {
  const vendor = 'lib/vendor/actions-core';
  cpSync('node_modules/@actions/core/lib', vendor, { recursive: true, filter: (f) => !f.endsWith('.map') && !f.endsWith('.d.ts') });
  const core = path.join(vendor, 'core.js');
  const text = readFileSync(core, 'utf8');
  const from = "import { OidcClient } from './oidc-utils.js';";
  if (!text.includes(from)) throw new Error(`@actions/core changed: ${core} no longer has the line ${from}; update scripts/build.mjs`);
  writeFileSync(core, text.replace(from, "const OidcClient = { getIDToken: async () => { throw new Error('rollgate is built without the OIDC client'); } };"));
  rmSync(path.join(vendor, 'oidc-utils.js'));
  for (const file of globSync('lib/**/*.js', { exclude: (f) => f.startsWith('lib/vendor') })) {
    const js = readFileSync(file, 'utf8');
    if (!js.includes("'@actions/core'")) continue;
    let rel = path.relative(path.dirname(file), core);
    if (!rel.startsWith('.')) rel = `./${rel}`;
    writeFileSync(file, js.replaceAll("'@actions/core'", `'${rel}'`));
  }
}
