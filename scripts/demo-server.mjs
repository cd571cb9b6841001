// A tiny release service for the demo pipeline, on 127.0.0.1.
//   POST /releases        → 202, Location: /releases/<id>
//   GET  /releases/<id>   → {"state":"pending"} twice, then {"state":"ready"}
//   GET  /health          → {"status":"ok"}
//   POST /notifications   → 204
// Run alone: `node scripts/demo-server.mjs [port]` prints its URL.
import http from 'node:http';

export function startDemoServer(port = 0) {
  const releases = new Map();
  const notifications = [];
  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://x');
      if (req.method === 'POST' && url.pathname === '/releases') {
        const id = `rel-${releases.size + 1}`;
        releases.set(id, { polls: 0, request: JSON.parse(body || '{}') });
        return send(res, 202, { id }, { location: `/releases/${id}` });
      }
      const m = /^\/releases\/([\w-]+)$/.exec(url.pathname);
      if (req.method === 'GET' && m && releases.has(m[1])) {
        const r = releases.get(m[1]);
        r.polls++;
        return send(res, 200, { id: m[1], state: r.polls > 2 ? 'ready' : 'pending', ...r.request });
      }
      if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok' });
      if (req.method === 'POST' && url.pathname === '/notifications') {
        notifications.push(JSON.parse(body || '{}'));
        return send(res, 204);
      }
      send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, releases, notifications, close: () => server.close() }),
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startDemoServer(Number(process.argv[2] ?? 0));
  console.log(s.url);
}
