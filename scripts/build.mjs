// Rebuilds dist/: TypeScript → lib/ (plain ESM), then one ncc bundle for the action
// (main and post) and one for the CLI.
import { execFileSync } from 'node:child_process';
import { rmSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
rmSync('lib', { recursive: true, force: true });
rmSync('dist', { recursive: true, force: true });
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
run('npx', ['ncc', 'build', 'lib/index.js', '-o', 'dist', '-m', '--license', 'licenses.txt', '-q']);
run('npx', ['ncc', 'build', 'lib/cli.js', '-o', 'dist/cli', '-m', '-q']);
const cli = 'dist/cli/index.js';
const text = readFileSync(cli, 'utf8');
if (!text.startsWith('#!')) writeFileSync(cli, `#!/usr/bin/env node\n${text}`);
chmodSync(cli, 0o755);
rmSync('lib', { recursive: true, force: true });
