// `npm run demo`: the main job, end to end, on this machine. Starts the local release
// service and runs the demo pipeline with the bundled CLI, exactly as a user would.
import { spawn } from 'node:child_process';
import { startDemoServer } from './demo-server.mjs';

const server = await startDemoServer();
console.log(`Release service listening on ${server.url}\n`);
const args = ['dist/cli/index.js', 'run', 'examples/demo/pipeline.yml', '--input', `baseUrl=${server.url}`, ...process.argv.slice(2)];
const code = await new Promise((resolve) => spawn(process.execPath, args, { stdio: 'inherit' }).on('close', resolve));
server.close();
process.exit(code ?? 1);
