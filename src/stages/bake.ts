import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { s, type Infer } from '../config/schema.ts';
import { httpUrl } from '../config/fields.ts';
import { ArtifactType, type Artifact } from '../pipeline/artifacts.ts';
import { StageError, type StageContext, type StageType, type OutputValue } from '../pipeline/types.ts';
import { workspacePath } from '../runner.ts';
import { createRenderer, Engine, type BakeRequest } from '../bake/renderer.ts';
import { describeDocument, joinDocuments, kindsOf, splitDocuments } from '../bake/documents.ts';
import type { OverrideValue } from '../bake/helm.ts';

/** Above this, an embedded artifact pushes the `artifacts` output past the 64 KiB the action keeps inline. */
const EMBED_WARN_BYTES = 48 * 1024;

/** Fields that only mean something to helm, to name them when the engine is kustomize. */
const HELM_FIELDS = [
  'chart',
  'repository',
  'version',
  'username',
  'password',
  'releaseName',
  'namespace',
  'valuesFiles',
  'overrides',
  'rawOverrides',
  'includeCRDs',
  'kubeVersion',
  'apiVersions',
] as const;

// Partial references such as `charts/$(inputs.app)` are only whole after substitution; patterns let them through.
const orReference = (re: RegExp) => new RegExp(`${re.source}|\\$\\(`);

const schema = s.object(
  {
    engine: s.enum(Object.values(Engine)).describe('What renders the manifests: helm (helm template) or kustomize (kubectl kustomize). Default: helm.'),
    chart: s
      .string({ minLength: 1 })
      .describe("helm: a chart directory or packaged chart (.tgz) in the workspace, e.g. charts/web; with repository, the chart's name in that repository."),
    repository: httpUrl().describe('helm: a chart repository (the URL that serves index.yaml, as given to helm repo add). The chart is fetched from it by name and version.'),
    version: s
      .string({ pattern: /\S/, patternText: 'an exact chart version in quotes, e.g. "1.2.0"' })
      .describe('helm, with repository: the exact chart version. Default: the newest version that is not a pre-release (logged, and given as the chartVersion output).'),
    username: s.string({ minLength: 1 }).describe('helm, with repository: user for HTTP basic authentication.'),
    password: s
      .object({ fromEnv: s.string({ minLength: 1 }).describe('The environment variable holding the password, e.g. one set from a GitHub secret.') }, ['fromEnv'])
      .describe('helm, with repository: the password for username, read from an environment variable and masked everywhere.'),
    releaseName: s
      .string({ pattern: orReference(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/), patternText: 'a helm release name (lowercase letters, digits, - and .)', maxLength: 53 })
      .describe("helm: the release name (.Release.Name). Default: the chart's name."),
    namespace: s
      .string({ minLength: 1 })
      .describe('helm: the namespace the chart is rendered for (.Release.Namespace). Default: default (never the kubeconfig\'s, so that a bake depends only on its inputs).'),
    valuesFiles: s
      .array(s.string({ minLength: 1 }))
      .describe('helm: values files in the workspace, applied in order (a later file wins), e.g. [values.yaml, values-production.yaml].'),
    overrides: s
      .record(s.union<OverrideValue>([s.string(), s.number(), s.boolean()], 'a string, number or boolean'))
      .describe('helm: values to set, key → value, e.g. { image.tag: "1.4.2", replicaCount: 3 }. Applied after valuesFiles, as strings (--set-string) unless rawOverrides is true.'),
    rawOverrides: s
      .boolean()
      .describe('helm: pass overrides with --set, so helm reads numbers, booleans, null and {a,b} lists in them ("basic type substitution"); default false: --set-string, every value a string.'),
    includeCRDs: s.boolean().describe("helm: include the chart's crds/ directory in the output (--include-crds). Default: false."),
    kubeVersion: s
      .string({ pattern: orReference(/^v?\d+\.\d+(\.\d+)?([-+].*)?$/), patternText: 'a Kubernetes version in quotes, e.g. "1.31" or "v1.31.2"' })
      .describe('helm: the Kubernetes version the chart sees (.Capabilities.KubeVersion, --kube-version), e.g. "1.31".'),
    apiVersions: s
      .array(s.string({ minLength: 1 }))
      .describe('helm: API versions the chart sees as available (.Capabilities.APIVersions, --api-versions), e.g. [monitoring.coreos.com/v1].'),
    kustomization: s
      .string({ minLength: 1 })
      .describe('kustomize: the directory holding kustomization.yaml (a base or an overlay), in the workspace, e.g. deploy/overlays/production.'),
    outputFile: s.string({ minLength: 1 }).describe('Where to write the rendered YAML, in the workspace. Default: .rollgate/baked/<stage id>.yaml.'),
    artifactName: s
      .string({ minLength: 1 })
      .describe("Name of the kubernetes/manifest artifact. Default: the release name (helm) or the kustomization's path (kustomize)."),
    embed: s
      .boolean()
      .describe('Also produce an embedded/base64 artifact holding the YAML itself, so that a deploy in a later job needs no copy of the file. Keep it for small manifests: job outputs are limited (see the docs).'),
  },
  [],
  {
    validate: (v, p, ctx) => {
      // An engine chosen by a reference is checked after substitution, when it is known.
      if (typeof v.engine === 'string' && v.engine.startsWith('$(')) return;
      if (v.engine === Engine.Kustomize) {
        if (v.kustomization === undefined) ctx.issues.push({ path: [...p, 'kustomization'], message: 'is required with engine: kustomize; expected the directory holding kustomization.yaml' });
        for (const f of HELM_FIELDS)
          if (v[f] !== undefined) ctx.issues.push({ path: [...p, f], message: 'is a helm field, but engine is kustomize; remove it, or set engine: helm' });
        return;
      }
      if (v.kustomization !== undefined)
        ctx.issues.push({ path: [...p, 'kustomization'], message: `is a kustomize field, but engine is ${v.engine ?? 'helm (the default)'}; set engine: kustomize, or give chart` });
      else if (v.chart === undefined) ctx.issues.push({ path: [...p, 'chart'], message: 'is required with engine: helm; expected a chart directory in the workspace, or a chart name with repository' });
      if (v.repository === undefined)
        for (const f of ['version', 'username', 'password'] as const)
          if (v[f] !== undefined) ctx.issues.push({ path: [...p, f], message: "only applies to a chart from a repository; add repository, or remove it (a local chart's version is in its Chart.yaml)" });
      if ((v.username === undefined) !== (v.password === undefined))
        ctx.issues.push({ path: [...p, v.username === undefined ? 'username' : 'password'], message: `is missing; username and password go together` });
    },
  },
);

export type BakeConfig = Infer<typeof schema>;

export const bake: StageType<BakeConfig> = {
  type: 'bake',
  description: 'Renders manifests with helm template (a chart in the workspace or from a chart repository) or kustomize, writes them to a workspace file and produces a kubernetes/manifest artifact for deploy.',
  schema,
  outputs: {
    manifestFile: 'The rendered YAML file, relative to the workspace (also the artifact\'s reference).',
    documents: 'How many manifests were rendered (chart tests not counted).',
    kinds: 'JSON list of the kinds rendered, in order of first appearance, e.g. ["ConfigMap","Service","Deployment"].',
    chartVersion: 'helm: the chart version rendered.',
    droppedTests: 'helm: JSON list of the chart tests left out, e.g. ["Pod web-test-connection"].',
  },
  run,
};

function toRequest(config: BakeConfig, ctx: StageContext): BakeRequest {
  if (config.engine === Engine.Kustomize) return { engine: Engine.Kustomize, kustomization: config.kustomization! };
  let password: string | undefined;
  if (config.password) {
    password = ctx.env[config.password.fromEnv];
    if (password === undefined)
      throw new StageError(`password.fromEnv: the environment variable ${config.password.fromEnv} is not set; set it from a secret in the step's env (env: { ${config.password.fromEnv}: \${{ secrets.… }} })`);
    ctx.addSecret(password);
  }
  return {
    engine: Engine.Helm,
    chart: config.chart!,
    repository: config.repository,
    version: config.version,
    username: config.username,
    password,
    releaseName: config.releaseName,
    namespace: config.namespace,
    valuesFiles: config.valuesFiles,
    overrides: config.overrides,
    rawOverrides: config.rawOverrides,
    includeCRDs: config.includeCRDs,
    kubeVersion: config.kubeVersion,
    apiVersions: config.apiVersions,
  };
}

async function run(config: BakeConfig, ctx: StageContext) {
  const renderer = createRenderer(toRequest(config, ctx));
  const outputFile = workspacePath(ctx.workspace, config.outputFile ?? path.join('.rollgate', 'baked', `${ctx.stageId}.yaml`), 'outputFile');
  const started = performance.now();
  const rendered = await renderer.render({ workspace: ctx.workspace, tempDir: ctx.tempDir, env: ctx.env, signal: ctx.signal, log: ctx.log });
  const all = splitDocuments(rendered.yaml);
  const tests = rendered.dropTests ? all.filter((d) => d.isTest) : [];
  const docs = all.filter((d) => !tests.includes(d));
  for (const t of tests) ctx.log.info(`left out the chart test ${describeDocument(t)}`);
  if (!docs.length) ctx.log.warn(`${renderer.engine} rendered no manifests; a deploy of this artifact will fail with "no manifests to deploy"`);

  const text = joinDocuments(docs);
  await mkdir(path.dirname(outputFile), { recursive: true });
  await writeFile(outputFile, text);
  const reference = path.relative(ctx.workspace, outputFile).split(path.sep).join('/');
  const kinds = kindsOf(docs);
  ctx.log.info(`wrote ${docs.length} manifest${docs.length === 1 ? '' : 's'} (${kinds.join(', ') || 'none'}) to ${reference} in ${Math.round(performance.now() - started)} ms`);

  const name = config.artifactName ?? rendered.name;
  const version = rendered.version !== undefined ? { version: rendered.version } : {};
  const artifacts: Artifact[] = [{ type: ArtifactType.KubernetesManifest, name, reference, ...version, metadata: rendered.metadata }];
  if (config.embed) {
    const encoded = Buffer.from(text).toString('base64');
    if (encoded.length > EMBED_WARN_BYTES)
      ctx.log.warn(
        `embed: the embedded artifact is ${Math.round(encoded.length / 1024)} KiB; the action writes an artifacts output above 64 KiB to a file, which a later job cannot read. Across jobs, copy ${reference} with actions/upload-artifact instead`,
      );
    artifacts.push({ type: ArtifactType.EmbeddedBase64, name, reference: encoded, ...version, metadata: rendered.metadata });
  }

  const outputs: Record<string, OutputValue> = { manifestFile: reference, documents: docs.length, kinds };
  if (renderer.engine === Engine.Helm) {
    if (rendered.version !== undefined) outputs.chartVersion = rendered.version;
    outputs.droppedTests = tests.map((t) => `${t.kind ?? '(no kind)'} ${t.name ?? '(no name)'}`);
  }
  return { outputs, artifacts };
}
