// A steady load on the sample services: --rps requests per second to each --target.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { target: { type: 'string', multiple: true }, rps: { type: 'string', default: '20' } } });
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const targets = values.target ?? [];
const interval = 1000 / Number(values.rps);
for (const target of targets) {
  setInterval(() => {
    const req = http.get(target, { agent }, (res) => res.resume());
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => undefined);
  }, interval);
}
console.log(`loadgen: ${values.rps} rps to ${targets.join(', ')}`);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
