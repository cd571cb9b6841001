// The bake stage with the real helm binary of the local environment.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEnv } from '../helpers/testenv.ts';
import { startServer } from '../helpers/http-server.ts';
import { Secrets } from '../../src/log/secrets.ts';
import { CHARTS, chartValues, manifests, run, workspace } from './helpers.ts';

const env = testEnv();
process.env.ROLLGATE_HELM = env.ROLLGATE_HELM;
const helm = (args: string[], cwd?: string) => execFileSync(env.ROLLGATE_HELM, args, { cwd, encoding: 'utf8' });

const stage = (fields: string) => `
name: p
stages:
  - id: bake
    type: bake
${fields
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

describe('bake (helm): a chart in the workspace', () => {
  test('renders, drops chart tests, writes the file and produces a kubernetes/manifest artifact', async () => {
    const ws = workspace();
    const r = await run(stage('chart: charts/web'), ws);
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.manifestFile, '.rollgate/baked/bake.yaml');
    assert.equal(st.outputs.documents, 3);
    assert.deepEqual(st.outputs.kinds, ['ConfigMap', 'Service', 'Deployment']);
    assert.equal(st.outputs.chartVersion, '1.2.0');
    // Both chart tests: the one under templates/tests/ and the one known by its hook annotation.
    assert.deepEqual(st.outputs.droppedTests, ['Pod web-smoke-check', 'Pod web-test-connection']);
    assert.deepEqual(st.artifacts, [
      {
        type: 'kubernetes/manifest',
        name: 'web',
        reference: '.rollgate/baked/bake.yaml',
        version: '1.2.0',
        metadata: { engine: 'helm', chart: 'web', releaseName: 'web', namespace: 'default', chartVersion: '1.2.0', appVersion: '1.2.0' },
      },
    ]);
    const text = readFileSync(path.join(ws, '.rollgate/baked/bake.yaml'), 'utf8');
    assert.match(text, /^---\n# Source: web\/templates\/configmap.yaml\n/, 'helm\'s text is kept, comments included');
    assert.doesNotMatch(text, /test-connection|smoke-check/);
    assert.ok(manifests(ws, st.outputs.manifestFile as string).every((o) => o.metadata.namespace === 'default'));
    assert.ok(r.lines.some((l) => l.includes('left out the chart test Pod web-test-connection (web/templates/tests/test-connection.yaml)')));
  });

  test('overrides are strings by default (--set-string): numbers and booleans arrive as text', async () => {
    const ws = workspace();
    const r = await run(
      stage(`
chart: charts/web
overrides:
  replicaCount: 3
  ingress.enabled: false
  message: "true"
  color: "red,green\\\\blue"`),
      ws,
    );
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    const v = chartValues(ws, st.outputs.manifestFile as string);
    assert.equal(v.replicaCount, '3');
    assert.equal(v.ingress.enabled, 'false');
    assert.equal(v.message, 'true');
    // Commas and backslashes reach the chart as written: they are escaped for helm's parser.
    assert.equal(v.color, 'red,green\\blue');
    // The string "false" is true in a template `if`: this is the breakage of spinnaker#3950.
    assert.ok((st.outputs.kinds as string[]).includes('Ingress'));
    const deployment = manifests(ws, st.outputs.manifestFile as string).find((o) => o.kind === 'Deployment')!;
    assert.equal(deployment.spec.replicas, 3, 'a template that prints the value still gives a number');
  });

  test('rawOverrides (--set): helm reads the types, so 3 is a number and false is false', async () => {
    const ws = workspace();
    const r = await run(
      stage(`
chart: charts/web
rawOverrides: true
overrides:
  replicaCount: 3
  ingress.enabled: false
  message: "true"
  color: "{red,green}"`),
      ws,
    );
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    const v = chartValues(ws, st.outputs.manifestFile as string);
    assert.equal(v.replicaCount, 3);
    assert.equal(v.ingress.enabled, false);
    // Even a quoted "true" is a boolean to --set: the other side of basic type substitution.
    assert.equal(v.message, true);
    assert.deepEqual(v.color, ['red', 'green']);
    assert.ok(!(st.outputs.kinds as string[]).includes('Ingress'));
  });

  test('values files apply in order (a later one wins), and overrides win over them', async () => {
    const ws = workspace();
    writeFileSync(path.join(ws, 'base.yaml'), 'message: from-base\ncolor: red\nreplicaCount: 2\n');
    writeFileSync(path.join(ws, 'prod.yaml'), 'message: from-prod\nreplicaCount: 4\n');
    const r = await run(
      stage(`
chart: charts/web
valuesFiles: [base.yaml, prod.yaml]
overrides: { replicaCount: 5 }
rawOverrides: true`),
      ws,
    );
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    const v = chartValues(ws, st.outputs.manifestFile as string);
    assert.equal(v.message, 'from-prod');
    assert.equal(v.color, 'red');
    assert.equal(v.replicaCount, 5);

    const reversed = await run(stage('chart: charts/web\nvaluesFiles: [prod.yaml, base.yaml]'), ws);
    assert.equal(chartValues(ws, reversed.report.stages[0]!.outputs.manifestFile as string).message, 'from-base');
  });

  test('release name, namespace, Kubernetes version, API versions, CRDs, artifact name and output file', async () => {
    const ws = workspace();
    const r = await run(
      stage(`
chart: charts/web
releaseName: shop-web
namespace: shop
kubeVersion: "1.31"
apiVersions: [monitoring.coreos.com/v1]
includeCRDs: true
artifactName: shop-manifests
outputFile: out/shop.yaml`),
      ws,
    );
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.manifestFile, 'out/shop.yaml');
    assert.deepEqual(st.outputs.kinds, ['CustomResourceDefinition', 'ConfigMap', 'Service', 'Deployment']);
    const objs = manifests(ws, 'out/shop.yaml');
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    assert.equal(cm.metadata.name, 'shop-web-values');
    assert.equal(cm.metadata.namespace, 'shop');
    assert.equal(cm.data!.kubeVersion, 'v1.31');
    assert.equal(cm.data!.hasMonitoring, 'true');
    assert.equal(st.artifacts[0]!.name, 'shop-manifests');
    assert.equal(st.artifacts[0]!.reference, 'out/shop.yaml');
    assert.equal((st.artifacts[0]!.metadata as Record<string, string>).releaseName, 'shop-web');
  });

  test('a packaged chart (.tgz) in the workspace: its version comes from helm show chart', async () => {
    const ws = workspace();
    helm(['package', path.join(ws, 'charts/web'), '--destination', ws]);
    const r = await run(stage('chart: web-1.2.0.tgz'), ws);
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.chartVersion, '1.2.0');
    assert.equal(st.artifacts[0]!.name, 'web');
  });

  test('embed: also an embedded/base64 artifact holding the same YAML', async () => {
    const ws = workspace();
    const r = await run(stage('chart: charts/web\nembed: true'), ws);
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    const embedded = st.artifacts.find((a) => a.type === 'embedded/base64')!;
    assert.equal(embedded.name, 'web');
    assert.equal(Buffer.from(embedded.reference!, 'base64').toString('utf8'), readFileSync(path.join(ws, '.rollgate/baked/bake.yaml'), 'utf8'));
  });
});

describe('bake (helm): failures are explained', () => {
  test('a broken chart fails with helm\'s own message', async () => {
    const ws = workspace();
    const r = await run(stage('chart: charts/broken'), ws);
    const st = r.report.stages[0]!;
    assert.equal(st.status, 'failed');
    assert.match(st.error!, /^helm template failed \(exit code 1\): Error: parse error at \(broken\/templates\/configmap.yaml:7\): unexpected EOF/);
    assert.ok(!existsSync(path.join(ws, '.rollgate/baked/bake.yaml')), 'nothing is written');
  });

  test('a bad override key fails with helm\'s message', async () => {
    const ws = workspace();
    const r = await run(stage('chart: charts/web\nrawOverrides: true\noverrides: { "a,b": 1 }'), ws);
    assert.match(r.report.stages[0]!.error!, /^helm template failed \(exit code 1\): Error: failed parsing --set data: key "a" has no value/);
  });

  test('missing chart, a directory that is no chart, a missing values file, a path outside the workspace', async () => {
    const ws = workspace();
    const errors = async (fields: string) => (await run(stage(fields), ws)).report.stages[0]!.error!;
    assert.match(await errors('chart: charts/nope'), /chart: "charts\/nope" does not exist in the workspace \(looked in .*charts\/nope\); give a chart directory/);
    assert.match(await errors('chart: charts'), /chart: "charts" is a directory without Chart.yaml, so it is not a Helm chart/);
    assert.match(await errors('chart: charts/web\nvaluesFiles: [prod.yaml]'), /valuesFiles\[0\]: "prod.yaml" does not exist \(looked in .*prod.yaml\)/);
    assert.match(await errors('chart: charts/web\nvaluesFiles: [../../etc/passwd]'), /valuesFiles\[0\].*outside the workspace/);
    assert.match(await errors('chart: charts/web\noutputFile: ../out.yaml'), /outputFile.*outside the workspace/);
  });
});

describe('bake (helm): a chart repository', () => {
  const servers: { close(): Promise<void> }[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  let repoDir: string;

  before(() => {
    // Three versions of the web chart, packaged and indexed by helm itself, with relative URLs.
    repoDir = mkdtempSync(path.join(os.tmpdir(), 'rg-repo-'));
    for (const version of ['1.2.0', '1.3.0', '2.0.0-rc.1']) {
      const src = mkdtempSync(path.join(os.tmpdir(), 'rg-chart-'));
      cpSync(path.join(CHARTS, 'web'), path.join(src, 'web'), { recursive: true });
      const chartYaml = path.join(src, 'web/Chart.yaml');
      writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace('version: 1.2.0', `version: ${version}`));
      helm(['package', path.join(src, 'web'), '--destination', repoDir]);
    }
    helm(['repo', 'index', repoDir]);
  });

  /** Serves repoDir; with credentials, answers 401 to requests without them. */
  const serve = async (credentials?: string) => {
    const s = await startServer((req, res) => {
      if (credentials && req.headers.authorization !== `Basic ${Buffer.from(credentials).toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' });
        return void res.end('unauthorized');
      }
      const file = path.join(repoDir, decodeURIComponent(new URL(req.url, 'http://x').pathname.replace(/^\/charts\//, '')));
      if (!file.startsWith(repoDir) || !existsSync(file)) {
        res.writeHead(404);
        return void res.end('not found');
      }
      res.writeHead(200);
      res.end(readFileSync(file));
    });
    servers.push(s);
    return s;
  };

  test('no version: the newest release (not the pre-release); an exact version; the index and archive come from the server', async () => {
    const s = await serve();
    const ws = workspace();
    const newest = await run(stage(`chart: web\nrepository: ${s.url}/charts`), ws);
    const st = newest.report.stages[0]!;
    assert.equal(st.status, 'succeeded', st.error);
    assert.equal(st.outputs.chartVersion, '1.3.0');
    assert.equal(st.artifacts[0]!.version, '1.3.0');
    assert.equal((st.artifacts[0]!.metadata as Record<string, string>).repository, `${s.url}/charts`);
    assert.ok(newest.lines.some((l) => l.includes('no version given; using 1.3.0')));
    assert.deepEqual(s.requests.map((q) => q.url), ['/charts/index.yaml', '/charts/web-1.3.0.tgz']);
    assert.match(readFileSync(path.join(ws, '.rollgate/baked/bake.yaml'), 'utf8'), /helm.sh\/chart: web-1.3.0/);

    const exact = await run(stage(`chart: web\nrepository: ${s.url}/charts/\nversion: "1.2.0"`), ws);
    assert.equal(exact.report.stages[0]!.outputs.chartVersion, '1.2.0', exact.report.stages[0]!.error);
    const pre = await run(stage(`chart: web\nrepository: ${s.url}/charts\nversion: 2.0.0-rc.1`), ws);
    assert.equal(pre.report.stages[0]!.outputs.chartVersion, '2.0.0-rc.1', pre.report.stages[0]!.error);
  });

  test('an unknown version or chart lists what there is; a URL that is no repository says so', async () => {
    const s = await serve();
    const ws = workspace();
    const error = async (fields: string) => (await run(stage(fields), ws)).report.stages[0]!.error!;
    assert.equal(
      await error(`chart: web\nrepository: ${s.url}/charts\nversion: "9.9.9"`),
      `chart web has no version "9.9.9" in ${s.url}/charts; versions: 2.0.0-rc.1, 1.3.0, 1.2.0`,
    );
    assert.match(await error(`chart: web\nrepository: ${s.url}/charts\nversion: ^1.2.0`), /version ranges are not supported/);
    assert.equal(await error(`chart: api\nrepository: ${s.url}/charts`), `the repository ${s.url}/charts has no chart named "api"; it has web`);
    assert.match(await error(`chart: web\nrepository: ${s.url}/elsewhere`), /answered 404: .*\/elsewhere is not a Helm chart repository \(it serves no index.yaml\)/);
  });

  test('basic authentication: the password comes from the environment and is masked; without it the error says what to set', async () => {
    const s = await serve('robot:s3cr3t-pw');
    const ws = workspace();
    const fields = `chart: web\nrepository: ${s.url}/charts\nversion: "1.3.0"`;

    const anonymous = await run(stage(fields), ws);
    assert.equal(
      anonymous.report.stages[0]!.error,
      `GET ${s.url}/charts/index.yaml answered 401: the chart repository wants credentials; set username and password: { fromEnv: VARIABLE } on the stage`,
    );

    process.env.RG_TEST_CHART_PASSWORD = 's3cr3t-pw';
    try {
      const secrets = new Secrets();
      const r = await run(stage(`${fields}\nusername: robot\npassword: { fromEnv: RG_TEST_CHART_PASSWORD }`), ws, { secrets });
      const st = r.report.stages[0]!;
      assert.equal(st.status, 'succeeded', st.error);
      assert.equal(st.outputs.chartVersion, '1.3.0');
      // The archive request carried the credentials too (same host as the repository).
      assert.equal(s.requests.filter((q) => q.headers.authorization).length, 2);
      assert.equal(secrets.mask('x s3cr3t-pw y'), 'x *** y');
      assert.ok(!r.lines.join('\n').includes('s3cr3t-pw'));

      process.env.RG_TEST_CHART_PASSWORD = 'wrong';
      const refused = await run(stage(`${fields}\nusername: robot\npassword: { fromEnv: RG_TEST_CHART_PASSWORD }`), ws);
      assert.match(refused.report.stages[0]!.error!, /answered 401: the chart repository refused the credentials of user "robot"/);
    } finally {
      delete process.env.RG_TEST_CHART_PASSWORD;
    }
    const unset = await run(stage(`${fields}\nusername: robot\npassword: { fromEnv: RG_TEST_CHART_PASSWORD }`), ws);
    assert.match(unset.report.stages[0]!.error!, /^password.fromEnv: the environment variable RG_TEST_CHART_PASSWORD is not set/);
  });

  test('an archive that does not match the digest in the index is refused', async () => {
    const s = await serve();
    const ws = workspace();
    const archive = path.join(repoDir, 'web-1.2.0.tgz');
    const original = readFileSync(archive);
    try {
      writeFileSync(archive, Buffer.concat([original, Buffer.from('tampered')]));
      const r = await run(stage(`chart: web\nrepository: ${s.url}/charts\nversion: "1.2.0"`), ws);
      assert.match(r.report.stages[0]!.error!, /web-1.2.0.tgz has the sha256 digest [0-9a-f]{64}, but the repository index says [0-9a-f]{64}; the archive was changed or corrupted/);
    } finally {
      writeFileSync(archive, original);
    }
  });
});
