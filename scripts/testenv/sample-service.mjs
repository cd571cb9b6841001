// A sample HTTP service for canary tests. It serves requests with a configurable error
// rate and latency, and exposes Prometheus metrics labelled with its version, scope and
// location, so canary configs can select baseline vs canary:
//   http_requests_total{app,version,scope,location,status}
//   http_request_duration_seconds_bucket{app,version,scope,location,le} (+ _sum, _count)
// Change behaviour at run time: POST /admin {"errorRate":0.25,"latencyMs":120,"jitterMs":10}.
// Errors are spread exactly (every 1/errorRate-th request), latency jitter is seeded,
// so two instances with the same settings produce the same series.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    app: { type: 'string', default: 'sample' },
    version: { type: 'string', default: 'v1' },
    scope: { type: 'string', default: 'baseline' },
    location: { type: 'string', default: 'local' },
    'error-rate': { type: 'string', default: '0' },
    'latency-ms': { type: 'string', default: '20' },
    'jitter-ms': { type: 'string', default: '5' },
  },
});

const config = { errorRate: Number(values['error-rate']), latencyMs: Number(values['latency-ms']), jitterMs: Number(values['jitter-ms']) };
const labels = `app="${values.app}",version="${values.version}",scope="${values.scope}",location="${values.location}"`;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const counts = new Map(); // status → count
const hist = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
let served = 0;
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

function record(status, seconds) {
  counts.set(status, (counts.get(status) ?? 0) + 1);
  BUCKETS.forEach((b, i) => {
    if (seconds <= b) hist.buckets[i]++;
  });
  hist.sum += seconds;
  hist.count++;
}

function metrics() {
  const lines = ['# HELP http_requests_total Requests served.', '# TYPE http_requests_total counter'];
  for (const status of ['200', '500']) lines.push(`http_requests_total{${labels},status="${status}"} ${counts.get(status) ?? 0}`);
  lines.push('# HELP http_request_duration_seconds Request latency.', '# TYPE http_request_duration_seconds histogram');
  BUCKETS.forEach((b, i) => lines.push(`http_request_duration_seconds_bucket{${labels},le="${b}"} ${hist.buckets[i]}`));
  lines.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${hist.count}`);
  lines.push(`http_request_duration_seconds_sum{${labels}} ${hist.sum}`, `http_request_duration_seconds_count{${labels}} ${hist.count}`);
  lines.push('# HELP sample_error_rate Configured error rate.', '# TYPE sample_error_rate gauge', `sample_error_rate{${labels}} ${config.errorRate}`);
  return lines.join('\n') + '\n';
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    return res.end(metrics());
  }
  if (url.pathname === '/healthz') return res.end('ok');
  if (url.pathname === '/admin') {
    if (req.method === 'GET') return res.end(JSON.stringify(config));
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        const next = JSON.parse(body || '{}');
        for (const k of ['errorRate', 'latencyMs', 'jitterMs']) if (typeof next[k] === 'number') config[k] = next[k];
        res.end(JSON.stringify(config));
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
    return;
  }
  const n = served++;
  const fail = Math.floor((n + 1) * config.errorRate) > Math.floor(n * config.errorRate);
  const latency = Math.max(0, config.latencyMs + (rand() * 2 - 1) * config.jitterMs);
  setTimeout(() => {
    const status = fail ? 500 : 200;
    record(String(status), latency / 1000);
    res.writeHead(status).end(fail ? 'error\n' : 'ok\n');
  }, latency);
});

server.listen(Number(values.port), values.host, () => {
  console.log(`sample-service ${values.scope} ${values.version} listening on http://${values.host}:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
