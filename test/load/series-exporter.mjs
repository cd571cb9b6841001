// A Prometheus exporter with many series per side, for load tests and benchmarks of the
// canary analysis: one gauge, rollgate_load_value{scope,series}, with --series series
// for the baseline scope and as many for the canary scope, all in one scrape (so both
// sides have samples at the same instants).
//
// At scrape k, baseline series i is 100 + i + 5·u(i, k), with u a seeded value in [-1, 1];
// the canary's series i is the baseline's value of the scrape before (u(i, k − 1)): the
// same distribution, never the same points, so every series goes through the rank test.
// The series named in --worse are multiplied by --factor on the canary side.
//
//   node series-exporter.mjs --port P --baseline B --canary C [--series 200] [--worse s007,s042] [--factor 1.5]
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    baseline: { type: 'string' },
    canary: { type: 'string' },
    series: { type: 'string', default: '200' },
    worse: { type: 'string', default: '' },
    factor: { type: 'string', default: '1.5' },
  },
});
if (!values.baseline || !values.canary) throw new Error('--baseline and --canary are required');

const count = Number(values.series);
const width = String(count - 1).length < 3 ? 3 : String(count - 1).length;
const names = Array.from({ length: count }, (_, i) => `s${String(i).padStart(width, '0')}`);
const worse = new Set(values.worse.split(',').filter(Boolean));
const factor = Number(values.factor);
const quote = (s) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** A value in [-1, 1] from (series, scrape), the same in every run. */
function u(i, k) {
  let h = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 31 - 1;
}

let scrape = 0;
function metrics() {
  const k = scrape++;
  const lines = ['# HELP rollgate_load_value A synthetic value per series.', '# TYPE rollgate_load_value gauge'];
  const b = quote(values.baseline);
  const c = quote(values.canary);
  names.forEach((name, i) => {
    const base = 100 + i;
    lines.push(`rollgate_load_value{scope="${b}",series="${name}"} ${base + 5 * u(i, k)}`);
    const canary = base + 5 * u(i, k - 1);
    lines.push(`rollgate_load_value{scope="${c}",series="${name}"} ${worse.has(name) ? canary * factor : canary}`);
  });
  return lines.join('\n') + '\n';
}

const server = http.createServer((req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(metrics());
  } else if (req.url === '/healthz') res.end('ok');
  else res.writeHead(404).end();
});
server.listen(Number(values.port), '127.0.0.1', () => {
  // The port, for a parent that asked for any free one.
  console.log(`listening ${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
