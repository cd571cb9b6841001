// The local test environment: a real Kubernetes control plane (kube-apiserver,
// controller-manager and scheduler, with etcd) on kwok's fake nodes, Prometheus
// scraping two sample services (baseline and canary) under a steady load.
//
//   node scripts/testenv/env.mjs up       start what is not running (idempotent)
//   node scripts/testenv/env.mjs down     stop exactly what `up` started, by pid
//   node scripts/testenv/env.mjs status   what runs, where
//   node scripts/testenv/env.mjs reset    down, then delete the environment's directory
//
// Everything lives in .testenv/ (or $ROLLGATE_ENV_DIR): state.json (pids, ports),
// env.sh / env.json (KUBECONFIG, PROMETHEUS_URL, tool paths), logs/.
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tool, versions } from '../tools.mjs';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.resolve(process.env.ROLLGATE_ENV_DIR ?? path.join(ROOT, '.testenv'));
const CLUSTER = `rollgate-${createHash('sha256').update(DIR).digest('hex').slice(0, 8)}`;
const KWOK_WORKDIR = path.join(DIR, 'kwok');
const KUBECONFIG = path.join(DIR, 'kubeconfig');
const STATE = path.join(DIR, 'state.json');
const LOGS = path.join(DIR, 'logs');
const NODES = 2;
const SAMPLES = [
  { name: 'baseline', version: 'v1', scope: 'baseline' },
  { name: 'canary', version: 'v2', scope: 'canary' },
];

const log = (m) => console.log(`env: ${m}`);
const readState = () => (existsSync(STATE) ? JSON.parse(readFileSync(STATE, 'utf8')) : { processes: {}, ports: {} });
const writeState = (s) => writeFileSync(STATE, JSON.stringify(s, null, 2) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function httpOk(url) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} did not happen within ${timeoutMs / 1000}s; logs are in ${LOGS}`);
    await sleep(250);
  }
}

function startDetached(name, cmd, args) {
  mkdirSync(LOGS, { recursive: true });
  const out = openSync(path.join(LOGS, `${name}.log`), 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], cwd: DIR });
  child.unref();
  return child.pid;
}

function kwokctl(args, opts = {}) {
  return spawnSync(tool('kwokctl'), ['--name', CLUSTER, ...args], {
    env: { ...process.env, KWOK_WORKDIR },
    encoding: 'utf8',
    ...opts,
  });
}

function kwokPids() {
  const dir = path.join(KWOK_WORKDIR, 'clusters', CLUSTER, 'pids');
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).map((f) => [f.replace(/\.pid$/, ''), Number(readFileSync(path.join(dir, f), 'utf8').trim())]));
}

function kubectl(args) {
  return spawnSync(tool('kubectl'), args, { env: { ...process.env, KUBECONFIG }, encoding: 'utf8', timeout: 20_000 });
}

async function clusterReady() {
  const pids = kwokPids();
  if (!Object.keys(pids).length || !Object.values(pids).every(alive)) return false;
  return kubectl(['get', '--raw', '/readyz']).stdout?.trim() === 'ok';
}

function ensurePrometheus() {
  if (spawnSync('sh', ['-c', 'command -v prometheus']).status === 0) return 'prometheus';
  log('installing Prometheus from Debian (apt-get)');
  const apt = (args) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt(['update', '-q']);
    apt(['install', '-y', '-q', '--no-install-recommends', 'prometheus']);
  } catch (e) {
    throw new Error(`could not install Prometheus with apt-get (${e.message}); install the Debian package "prometheus" and run again`);
  }
  return 'prometheus';
}

async function ensureCluster() {
  if (await clusterReady()) return log(`cluster ${CLUSTER} is running (reused)`);
  const exists = existsSync(path.join(KWOK_WORKDIR, 'clusters', CLUSTER, 'kwok.yaml'));
  if (exists) {
    // Some component died (or all were stopped): stop what is left, start them all again.
    log(`restarting the cluster ${CLUSTER}`);
    kwokctl(['stop', 'cluster']);
    const r = kwokctl(['start', 'cluster', '--wait', '3m']);
    if (r.status !== 0) throw new Error(`kwokctl start cluster failed:\n${r.stderr || r.stdout}`);
  } else {
    log(`creating cluster ${CLUSTER} (Kubernetes ${versions.KUBE_VERSION}, etcd ${versions.ETCD_VERSION}, kwok ${versions.KWOK_VERSION})`);
    mkdirSync(KWOK_WORKDIR, { recursive: true });
    // One controller-manager and one scheduler: no leader election. With it, a busy
    // machine (2 cores running the whole suite) can miss a lease renewal, and then both
    // exit, leaving Deployments unreconciled.
    const config = path.join(DIR, 'kwokctl.yaml');
    writeFileSync(
      config,
      `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
componentsPatches:
  - name: kube-controller-manager
    extraArgs: [{ key: leader-elect, value: "false" }]
  - name: kube-scheduler
    extraArgs: [{ key: leader-elect, value: "false" }]
`,
    );
    const r = kwokctl([
      '-c', config,
      'create', 'cluster', '--runtime', 'binary',
      '--kube-apiserver-binary', tool('kube-apiserver'),
      '--kube-controller-manager-binary', tool('kube-controller-manager'),
      '--kube-scheduler-binary', tool('kube-scheduler'),
      '--kwok-controller-binary', tool('kwok'),
      '--etcd-binary', tool('etcd'),
      '--kubeconfig', KUBECONFIG,
      '--wait', '3m',
    ]);
    if (r.status !== 0) throw new Error(`kwokctl create cluster failed:\n${(r.stderr || r.stdout).split('\n').slice(-20).join('\n')}`);
  }
  const nodes = kubectl(['get', 'nodes', '-o', 'name']).stdout.split('\n').filter(Boolean).length;
  if (nodes < NODES) {
    const r = kwokctl(['scale', 'node', '--replicas', String(NODES)]);
    if (r.status !== 0) throw new Error(`kwokctl scale node failed:\n${r.stderr || r.stdout}`);
  }
  await waitFor('the cluster to become ready', clusterReady);
  await waitFor(`${NODES} Ready nodes`, () => {
    const out = kubectl(['get', 'nodes', '--no-headers']).stdout ?? '';
    return out.split('\n').filter((l) => /\sReady\s/.test(l)).length >= NODES;
  });
  await waitFor('the default service account', () => kubectl(['get', 'serviceaccount', 'default', '-n', 'default']).status === 0);
}

/** A Go module's files, from the module cache (downloaded through the Go module proxy once). */
function moduleDir(mod, version) {
  const out = execFileSync('go', ['mod', 'download', '-json', `${mod}@${version}`], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' } });
  const dir = JSON.parse(out).Dir;
  if (!dir) throw new Error(`go mod download ${mod}@${version} gave no directory: ${out}`);
  return dir;
}

/** SMI publishes its CRD as apiextensions v1beta1, which Kubernetes removed in 1.22: the same definition in v1. */
function smiToV1(text) {
  const crd = parseYaml(text);
  const served = crd.spec.versions.find((v) => v.served) ?? crd.spec.versions[0];
  const schema = crd.spec.validation?.openAPIV3Schema ?? {};
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crd.metadata.name },
    spec: {
      group: crd.spec.group,
      scope: crd.spec.scope,
      names: crd.spec.names,
      versions: [
        {
          name: served.name,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { ...schema.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } } } },
          additionalPrinterColumns: (crd.spec.additionalPrinterColumns ?? []).map((c) => ({ name: c.name, type: c.type, description: c.description, jsonPath: c.JSONPath })),
        },
      ],
    },
  };
}

/** The published CRDs of the traffic routers the rollout stage drives: Istio, Gateway API, SMI. */
function ensureCrds() {
  const have = kubectl(['get', 'crd', '-o', 'name']).stdout ?? '';
  const wanted = ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io', 'httproutes.gateway.networking.k8s.io', 'trafficsplits.split.smi-spec.io'];
  if (wanted.every((w) => have.includes(w))) return log('traffic-router CRDs are installed (reused)');
  const docs = [];
  const istio = readFileSync(path.join(moduleDir('istio.io/api', versions.ISTIO_API_VERSION), 'kubernetes/customresourcedefinitions.gen.yaml'), 'utf8');
  for (const d of parseAllDocuments(istio)) {
    const o = d.toJS();
    if (o && ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io'].includes(o.metadata?.name)) docs.push(o);
  }
  const gw = moduleDir('sigs.k8s.io/gateway-api', versions.GATEWAY_API_VERSION);
  for (const f of ['gateway.networking.k8s.io_httproutes.yaml', 'gateway.networking.k8s.io_gateways.yaml', 'gateway.networking.k8s.io_gatewayclasses.yaml'])
    docs.push(parseYaml(readFileSync(path.join(gw, 'config/crd/standard', f), 'utf8')));
  docs.push(smiToV1(readFileSync(path.join(moduleDir('github.com/servicemeshinterface/smi-sdk-go', versions.SMI_SDK_VERSION), 'crds/split.yaml'), 'utf8')));
  const r = spawnSync(tool('kubectl'), ['apply', '--server-side', '-f', '-'], { env: { ...process.env, KUBECONFIG }, input: docs.map((d) => JSON.stringify(d)).join('\n---\n'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`installing the traffic-router CRDs failed: ${r.stderr}`);
  for (const w of wanted) {
    const e = kubectl(['wait', '--for=condition=Established', `crd/${w}`, '--timeout=60s']);
    if (e.status !== 0) throw new Error(`CRD ${w} did not become established: ${e.stderr}`);
  }
  log(`installed CRDs: Istio ${versions.ISTIO_API_VERSION}, Gateway API ${versions.GATEWAY_API_VERSION}, SMI ${versions.SMI_SDK_VERSION}`);
}

async function ensureSamples(state) {
  for (const s of SAMPLES) {
    const p = state.processes[s.name];
    const port = state.ports[s.name] ?? (await freePort());
    state.ports[s.name] = port;
    if (p && alive(p.pid) && (await httpOk(`http://127.0.0.1:${port}/healthz`))) {
      log(`sample service ${s.name} is running (reused, pid ${p.pid})`);
      continue;
    }
    const pid = startDetached(`sample-${s.name}`, process.execPath, [
      path.join(ROOT, 'scripts/testenv/sample-service.mjs'),
      '--port', String(port), '--version', s.version, '--scope', s.scope, '--location', 'local',
    ]);
    state.processes[s.name] = { pid, what: `sample service ${s.name}` };
    await waitFor(`sample service ${s.name} on port ${port}`, () => httpOk(`http://127.0.0.1:${port}/healthz`), 15_000);
    log(`sample service ${s.name} started on port ${port} (pid ${pid})`);
  }
}

async function ensurePrometheusRunning(state, bin) {
  const port = state.ports.prometheus ?? (await freePort());
  state.ports.prometheus = port;
  const url = `http://127.0.0.1:${port}`;
  const p = state.processes.prometheus;
  if (p && alive(p.pid) && (await httpOk(`${url}/-/ready`))) return log(`Prometheus is running (reused, pid ${p.pid})`);
  const dir = path.join(DIR, 'prometheus');
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  const targets = SAMPLES.map((s) => `'127.0.0.1:${state.ports[s.name]}'`).join(', ');
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `# Written by scripts/testenv/env.mjs
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sample
    static_configs:
      - targets: [${targets}]
    # Tests add more sample services by writing target files here.
    file_sd_configs:
      - files: ['${path.join(dir, 'targets')}/*.json']
        refresh_interval: 1s
`,
  );
  const pid = startDetached('prometheus', bin, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1d',
  ]);
  state.processes.prometheus = { pid, what: 'Prometheus' };
  await waitFor(`Prometheus on port ${port}`, () => httpOk(`${url}/-/ready`), 30_000);
  log(`Prometheus started on ${url} (pid ${pid})`);
}

async function ensureLoad(state) {
  const p = state.processes.loadgen;
  if (p && alive(p.pid)) return log(`load generator is running (reused, pid ${p.pid})`);
  const pid = startDetached('loadgen', process.execPath, [
    path.join(ROOT, 'scripts/testenv/loadgen.mjs'),
    '--rps', '20',
    ...SAMPLES.flatMap((s) => ['--target', `http://127.0.0.1:${state.ports[s.name]}/`]),
  ]);
  state.processes.loadgen = { pid, what: 'load generator' };
  log(`load generator started (pid ${pid}, 20 rps per sample service)`);
}

async function promQuery(url, q) {
  const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(3000) });
  return (await r.json()).data?.result ?? [];
}

function writeEnvFiles(state) {
  const env = {
    KUBECONFIG,
    PROMETHEUS_URL: `http://127.0.0.1:${state.ports.prometheus}`,
    ROLLGATE_SAMPLE_BASELINE_URL: `http://127.0.0.1:${state.ports.baseline}`,
    ROLLGATE_SAMPLE_CANARY_URL: `http://127.0.0.1:${state.ports.canary}`,
    ROLLGATE_PROMETHEUS_TARGETS_DIR: path.join(DIR, 'prometheus', 'targets'),
    ROLLGATE_ENV_DIR: DIR,
    ROLLGATE_KUBECTL: tool('kubectl'),
    ROLLGATE_HELM: tool('helm'),
    ROLLGATE_ACT: tool('act'),
    ROLLGATE_ACTIONLINT: tool('actionlint'),
  };
  const binDirs = ['kubectl', 'helm', 'act', 'actionlint', 'kwokctl'].map((t) => path.dirname(tool(t)));
  writeFileSync(path.join(DIR, 'env.json'), JSON.stringify(env, null, 2) + '\n');
  writeFileSync(
    path.join(DIR, 'env.sh'),
    `# Written by scripts/testenv/env.mjs: source it to point rollgate and kubectl at the local environment.\n` +
      Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join('\n') +
      `\nexport PATH="${[...new Set(binDirs)].join(':')}:$PATH"\n`,
  );
}

export async function up() {
  const started = Date.now();
  mkdirSync(DIR, { recursive: true });
  if (!process.env.ROLLGATE_SKIP_BUILD) execFileSync('bash', [path.join(ROOT, 'scripts/testenv/build.sh')], { stdio: 'inherit' });
  const prometheus = ensurePrometheus();
  const state = readState();
  await ensureCluster();
  ensureCrds();
  state.processes.cluster = { pids: kwokPids(), what: `kwok cluster ${CLUSTER}` };
  writeState(state);
  await ensureSamples(state);
  writeState(state);
  await ensurePrometheusRunning(state, prometheus);
  writeState(state);
  await ensureLoad(state);
  writeState(state);
  writeEnvFiles(state);
  const url = `http://127.0.0.1:${state.ports.prometheus}`;
  await waitFor('Prometheus samples from both sample services', async () => {
    const r = await promQuery(url, 'count(rate(http_requests_total{job="sample",status="200"}[5s]) > 0)');
    return Number(r[0]?.value?.[1] ?? 0) >= SAMPLES.length;
  }, 60_000);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s: source ${path.relative(process.cwd(), path.join(DIR, 'env.sh')) || path.join(DIR, 'env.sh')}`);
}

export async function down() {
  const state = readState();
  const stopped = [];
  for (const [name, p] of Object.entries(state.processes)) {
    if (name === 'cluster' || !alive(p.pid)) continue;
    process.kill(p.pid, 'SIGTERM');
    stopped.push([name, p.pid]);
  }
  const clusterPids = Object.values(kwokPids());
  if (clusterPids.length || existsSync(path.join(KWOK_WORKDIR, 'clusters', CLUSTER))) {
    const r = kwokctl(['delete', 'cluster']);
    if (r.status !== 0) log(`kwokctl delete cluster: ${r.stderr || r.stdout}`);
  }
  const all = [...stopped.map(([, pid]) => pid), ...clusterPids];
  const end = Date.now() + 10_000;
  while (all.some(alive) && Date.now() < end) await sleep(100);
  for (const pid of all.filter(alive)) process.kill(pid, 'SIGKILL');
  writeState({ processes: {}, ports: state.ports });
  log(`stopped ${stopped.map(([n, pid]) => `${n} (${pid})`).join(', ') || 'no processes'}${clusterPids.length ? ` and cluster ${CLUSTER} (${clusterPids.join(', ')})` : ''}`);
}

export function status() {
  const state = readState();
  const pids = kwokPids();
  const rows = [[`cluster ${CLUSTER}`, Object.values(pids).join(',') || '-', Object.values(pids).length && Object.values(pids).every(alive) ? 'running' : 'stopped', KUBECONFIG]];
  for (const [name, p] of Object.entries(state.processes)) {
    if (name === 'cluster') continue;
    rows.push([p.what, String(p.pid), alive(p.pid) ? 'running' : 'stopped', state.ports[name] ? `http://127.0.0.1:${state.ports[name]}` : '']);
  }
  for (const r of rows) console.log(r.map((c, i) => c.padEnd([34, 10, 9, 0][i])).join(' '));
  return rows;
}

const cmd = process.argv[2];
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    if (cmd === 'up') await up();
    else if (cmd === 'down') await down();
    else if (cmd === 'status') status();
    else if (cmd === 'reset') {
      await down();
      rmSync(DIR, { recursive: true, force: true });
      log(`removed ${DIR}`);
    } else {
      console.error('usage: env.mjs up|down|status|reset');
      process.exit(2);
    }
  } catch (e) {
    console.error(`env: ${e.message}`);
    process.exit(1);
  }
}
