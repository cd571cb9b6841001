import { s, type Infer } from '../config/schema.ts';
import { httpUrl } from '../config/fields.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import { githubClient, repositoryField, type GitHubClient, type GitHubFactory } from '../github/client.ts';
import { pullRequestOf, readEvent, runUrl } from '../github/context.ts';
import { markerOf, upsertComment, type CommentRef } from '../github/comments.ts';
import { createDeployment, deploymentsOf, DeploymentState, latestState, setDeploymentStatus } from '../github/deployments.ts';
import { apiVersionOf, contextField } from '../kube/target.ts';
import { canonicalKind } from '../kube/kinds.ts';
import { describeRef, refOf } from '../kube/operations.ts';
import type { ObjectRef } from '../kube/client.ts';

const PERMISSIONS = 'deployments: write and pull-requests: write';

const PreviewAction = { Deploy: 'deploy', Status: 'status', Teardown: 'teardown' } as const;
type PreviewAction = (typeof PreviewAction)[keyof typeof PreviewAction];

/** Placeholders a comment template may use. */
const PLACEHOLDERS = ['environment', 'url', 'state', 'status', 'ref', 'sha', 'versions', 'logUrl', 'pullRequest'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

const schema = s.object(
  {
    action: s.enum(Object.values(PreviewAction)).describe('deploy: record a deployment and comment; status: set the state of the newest one; teardown: clean up and mark every deployment inactive. Default: deploy.'),
    environment: s.string({ minLength: 1, maxLength: 255 }).describe('The preview environment. Default: pr-<number of the pull request>.'),
    pullRequest: s.number({ integer: true, min: 1 }).describe('The pull request to comment on. Default: the one of the pull_request event that started the run.'),
    ref: s.string({ minLength: 1 }).describe("What was deployed: a commit, branch or tag. Default: the pull request's head commit, else GITHUB_SHA."),
    url: httpUrl().describe('Where the preview can be seen (the environment URL GitHub links to).'),
    logUrl: httpUrl().describe("The deployment's log. Default: this workflow run."),
    state: s
      .enum(Object.values(DeploymentState).filter((x) => x !== DeploymentState.Inactive))
      .describe('The state to set: required with status; with deploy, in_progress leaves the deployment in progress for a later status stage. Default for deploy: success.'),
    failed: s.boolean().describe('deploy: record the deployment as failed (e.g. from the status of the stage that deployed). Default: false.'),
    versions: s.record(s.union<string | number>([s.string(), s.number()], 'a version string')).describe('Component → version deployed, listed in the comment, e.g. { web: "1.4.2" }.'),
    comment: s
      .union<string | boolean>([s.string({ minLength: 1 }), s.boolean()], 'a Markdown template, or false')
      .describe(`The pull request comment (Markdown) with placeholders ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}; false for none. Default: the state, the URL and the versions.`),
    repository: repositoryField(),
    namespace: s.string({ minLength: 1 }).describe('teardown: the namespace of the preview (for kinds + labelSelector, or to delete with deleteNamespace).'),
    deleteNamespace: s.boolean().describe('teardown: delete the namespace itself. Default: false.'),
    kinds: s.array(s.string({ minLength: 1 }), { minItems: 1 }).describe('teardown: delete every resource of these kinds matching labelSelector.'),
    labelSelector: s.string({ minLength: 1 }).describe('teardown: label selector for kinds, e.g. app=web,preview=pr-12.'),
    context: contextField,
  },
  [],
  {
    validate: (v, p, ctx) => {
      const action = v.action ?? PreviewAction.Deploy;
      const issue = (key: string, message: string) => ctx.issues.push({ path: [...p, key], message });
      if (action === PreviewAction.Status && !v.state) issue('state', 'is required with action: status; expected one of queued, pending, in_progress, success, failure, error');
      if (action !== PreviewAction.Deploy && v.failed !== undefined) issue('failed', `is for action: deploy, not ${action}; expected state with action: status`);
      if (action === PreviewAction.Teardown && v.state) issue('state', 'is not used by action: teardown, which marks every deployment inactive');
      for (const key of ['namespace', 'deleteNamespace', 'kinds', 'labelSelector', 'context'] as const)
        if (action !== PreviewAction.Teardown && v[key] !== undefined) issue(key, `is for action: teardown, not ${action}`);
      if (v.kinds && !v.labelSelector) issue('labelSelector', 'is required with kinds; expected a label selector such as app=web,preview=pr-12');
      if (v.labelSelector && !v.kinds) issue('kinds', 'is required with labelSelector; expected the kinds to delete, e.g. [Deployment, Service, Ingress]');
      if (v.deleteNamespace && !v.namespace) issue('namespace', 'is required with deleteNamespace; expected the preview namespace');
      if (typeof v.comment === 'string') {
        for (const m of v.comment.matchAll(PLACEHOLDER))
          if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) issue('comment', `has the placeholder {{${m[1]}}}; expected one of ${PLACEHOLDERS.map((x) => `{{${x}}}`).join(', ')}`);
      }
      if (v.comment === true) issue('comment', 'is true; expected a Markdown template, or false for no comment (the default comment needs no field)');
    },
  },
);

export type PreviewConfig = Infer<typeof schema>;

/** The stage, with the way it gets its GitHub client (tests pass their own). */
export function createPreviewStage(deps: { github?: GitHubFactory } = {}): StageType<PreviewConfig> {
  const github = deps.github ?? githubClient;
  return {
    type: 'preview',
    description: 'Pull request previews on GitHub Deployments: records a transient deployment with its URL and keeps one comment on the pull request up to date; teardown cleans up and marks the environment inactive.',
    schema,
    outputs: {
      deploymentId: 'Id of the deployment created (deploy) or updated (status); with teardown, the newest one.',
      environment: 'The preview environment, e.g. pr-12.',
      url: 'The environment URL.',
      state: 'The state set: success, failure, in_progress, ... (inactive after teardown).',
      commentId: 'Id of the pull request comment (0 when there is none).',
      deactivated: 'teardown: how many deployments were marked inactive.',
      deleted: 'teardown: JSON list of the Kubernetes resources deleted ("Kind namespace/name").',
    },
    run: (config, ctx) => run(config, ctx, github),
  };
}

export const preview = createPreviewStage();

interface Target {
  action: PreviewAction;
  environment: string;
  pullRequest?: number;
  ref?: string;
  logUrl?: string;
}

async function run(config: PreviewConfig, ctx: StageContext, github: GitHubFactory) {
  const target = await resolveTarget(config, ctx);
  switch (target.action) {
    case PreviewAction.Deploy:
      return deploy(config, target, ctx, github);
    case PreviewAction.Status:
      return status(config, target, ctx, github);
    case PreviewAction.Teardown:
      return teardown(config, target, ctx, github);
  }
}

async function resolveTarget(config: PreviewConfig, ctx: StageContext): Promise<Target> {
  const action = config.action ?? PreviewAction.Deploy;
  const fromEvent = pullRequestOf(await readEvent(ctx.env));
  const pr = config.pullRequest ?? fromEvent?.number;
  const environment = config.environment ?? (pr !== undefined ? `pr-${pr}` : undefined);
  if (!environment)
    throw new StageError('no preview environment: set environment or pullRequest, or run the stage on a pull_request event (its number names the environment pr-<number>)');
  const headSha = fromEvent && fromEvent.number === pr ? fromEvent.headSha : undefined;
  const ref = config.ref ?? headSha ?? ctx.env.GITHUB_SHA;
  if (action === PreviewAction.Deploy && !ref) throw new StageError('no ref to deploy: set ref, or run on a pull_request event (its head commit is used) or inside GitHub Actions (GITHUB_SHA)');
  return { action, environment, pullRequest: pr, ref, logUrl: config.logUrl ?? runUrl(ctx.env) };
}

async function deploy(config: PreviewConfig, t: Target, ctx: StageContext, github: GitHubFactory) {
  const state = config.failed ? DeploymentState.Failure : (config.state ?? DeploymentState.Success);
  const url = config.url ?? '';
  if (ctx.dryRun) {
    ctx.log.info(`dry run: would record a deployment of ${t.ref} to ${t.environment} (transient), in_progress then ${state}${url ? ` at ${url}` : ''}${commentPlan(config, t)}`);
    return { outputs: { deploymentId: 0, environment: t.environment, url, state, commentId: 0 } };
  }
  const gh = await github(ctx, { repository: config.repository, permissions: PERMISSIONS });
  const d = await createDeployment(gh, { ref: t.ref!, environment: t.environment, description: `Preview of ${shortSha(t.ref!)}` });
  ctx.log.info(`Deployment ${d.id} of ${t.ref} to ${t.environment}`);
  await setDeploymentStatus(gh, d.id, { state: DeploymentState.InProgress, logUrl: t.logUrl });
  if (state !== DeploymentState.InProgress) {
    await setDeploymentStatus(gh, d.id, { state, environmentUrl: url || undefined, logUrl: t.logUrl, description: describeState(state) });
  }
  ctx.log.info(`${t.environment}: ${state}${url ? ` at ${url}` : ''}`);
  const comment = await writeComment(gh, config, t, ctx, { state, url, sha: d.sha });
  return { outputs: { deploymentId: d.id, environment: t.environment, url, state, commentId: comment?.id ?? 0 } };
}

async function status(config: PreviewConfig, t: Target, ctx: StageContext, github: GitHubFactory) {
  const state = config.state!;
  const url = config.url ?? '';
  if (ctx.dryRun) {
    ctx.log.info(`dry run: would set the newest deployment of ${t.environment} to ${state}${url ? ` at ${url}` : ''}${commentPlan(config, t)}`);
    return { outputs: { deploymentId: 0, environment: t.environment, url, state, commentId: 0 } };
  }
  const gh = await github(ctx, { repository: config.repository, permissions: PERMISSIONS });
  const [d] = await deploymentsOf(gh, t.environment, 1);
  if (!d) throw new StageError(`${t.environment} has no deployment yet; run a preview stage with action: deploy (state: in_progress) before one with action: status`);
  await setDeploymentStatus(gh, d.id, { state, environmentUrl: url || undefined, logUrl: t.logUrl, description: describeState(state) });
  ctx.log.info(`Deployment ${d.id} of ${t.environment}: ${state}${url ? ` at ${url}` : ''}`);
  const comment = await writeComment(gh, config, { ...t, ref: config.ref ?? d.ref }, ctx, { state, url, sha: d.sha });
  return { outputs: { deploymentId: d.id, environment: t.environment, url, state, commentId: comment?.id ?? 0 } };
}

async function teardown(config: PreviewConfig, t: Target, ctx: StageContext, github: GitHubFactory) {
  const deleted = config.kinds || config.deleteNamespace ? await deleteResources(config, ctx) : [];
  if (ctx.dryRun) {
    ctx.log.info(`dry run: would mark every deployment of ${t.environment} inactive${commentPlan(config, t, false)}`);
    return { outputs: { deploymentId: 0, environment: t.environment, url: '', state: DeploymentState.Inactive, commentId: 0, deactivated: 0, deleted } };
  }
  const gh = await github(ctx, { repository: config.repository, permissions: PERMISSIONS });
  const all = await deploymentsOf(gh, t.environment);
  let deactivated = 0;
  for (const d of all) {
    if ((await latestState(gh, d.id)) === DeploymentState.Inactive) continue;
    await setDeploymentStatus(gh, d.id, { state: DeploymentState.Inactive, logUrl: t.logUrl, description: 'Preview torn down' });
    deactivated++;
  }
  ctx.log.info(`${t.environment}: ${deactivated} of ${all.length} deployment(s) marked inactive`);
  // A closed pull request with no preview comment gets none: there is nothing to correct.
  const comment = await writeComment(gh, config, t, ctx, { state: DeploymentState.Inactive, url: '', sha: all[0]?.sha }, false);
  return { outputs: { deploymentId: all[0]?.id ?? 0, environment: t.environment, url: '', state: DeploymentState.Inactive, commentId: comment?.id ?? 0, deactivated, deleted } };
}

async function deleteResources(config: PreviewConfig, ctx: StageContext): Promise<string[]> {
  const kube = await ctx.kube(config.context);
  const namespace = config.namespace ?? kube.defaultNamespace;
  const refs: ObjectRef[] = [];
  for (const k of config.kinds ?? []) {
    const kind = canonicalKind(k);
    const found = await kube.list(apiVersionOf(kind), kind, { namespace, labelSelector: config.labelSelector, signal: ctx.signal });
    refs.push(...found.map(refOf));
  }
  if (config.deleteNamespace) refs.push({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  const deleted: string[] = [];
  for (const ref of refs) {
    const gone = await kube.delete(ref, { propagationPolicy: 'Background', dryRun: ctx.dryRun, signal: ctx.signal });
    if (gone) deleted.push(describeRef(ref));
    ctx.log.info(`${ctx.dryRun ? 'dry run: would delete' : gone ? 'deleted' : 'already gone:'} ${describeRef(ref)}`);
  }
  return deleted;
}

async function writeComment(
  gh: GitHubClient,
  config: PreviewConfig,
  t: Target,
  ctx: StageContext,
  o: { state: DeploymentState; url: string; sha?: string },
  createIfMissing = true,
): Promise<CommentRef | undefined> {
  if (config.comment === false) return undefined;
  if (t.pullRequest === undefined) {
    ctx.log.info('No pull request (set pullRequest, or run on a pull_request event): no comment written');
    return undefined;
  }
  const body = renderComment(config, t, o);
  const ref = await upsertComment(gh, { issue: t.pullRequest, marker: markerOf(`rollgate-preview:${t.environment}`), body, createIfMissing });
  if (ref) ctx.log.info(`${ref.created ? 'Commented on' : 'Updated the comment on'} pull request #${t.pullRequest}: ${ref.url}`);
  return ref;
}

function commentPlan(config: PreviewConfig, t: Target, create = true): string {
  if (config.comment === false || t.pullRequest === undefined) return '';
  return `, and ${create ? 'write or update' : 'update'} its comment on pull request #${t.pullRequest}`;
}

const HEADLINE: Record<DeploymentState, string> = {
  success: '✅ Preview {{environment}} is up',
  failure: '❌ Preview {{environment}} failed to deploy',
  error: '❌ Preview {{environment}} failed to deploy',
  in_progress: '⏳ Preview {{environment}} is being deployed',
  queued: '⏳ Preview {{environment}} is queued',
  pending: '⏳ Preview {{environment}} is pending',
  inactive: '🧹 Preview {{environment}} was torn down',
};

export function renderComment(config: PreviewConfig, t: Target, o: { state: DeploymentState; url: string; sha?: string }): string {
  const values: Record<Placeholder, string> = {
    environment: t.environment,
    url: o.url,
    state: o.state,
    status: HEADLINE[o.state].replace('{{environment}}', `\`${code(t.environment)}\``),
    ref: t.ref ?? '',
    sha: shortSha(o.sha ?? t.ref ?? ''),
    versions: versionsTable(config.versions),
    logUrl: t.logUrl ?? '',
    pullRequest: t.pullRequest === undefined ? '' : String(t.pullRequest),
  };
  const template = typeof config.comment === 'string' ? config.comment : defaultTemplate(o.state, values);
  return template.replace(PLACEHOLDER, (_m, name: string) => values[name as Placeholder] ?? '');
}

function defaultTemplate(state: DeploymentState, v: Record<Placeholder, string>): string {
  const lines = ['### {{status}}', ''];
  if (state !== DeploymentState.Inactive && v.url) lines.push('**URL:** {{url}}', '');
  if (state !== DeploymentState.Inactive && v.versions) lines.push('{{versions}}', '');
  const facts = [v.sha ? 'Commit `{{sha}}`' : '', v.logUrl ? '[log]({{logUrl}})' : '', `updated ${new Date().toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')}`];
  lines.push(facts.filter(Boolean).join(' · '));
  return lines.join('\n');
}

function versionsTable(versions: Record<string, string | number> | undefined): string {
  const rows = Object.entries(versions ?? {});
  if (!rows.length) return '';
  return ['| Component | Version |', '| --- | --- |', ...rows.map(([k, v]) => `| ${cellText(k)} | \`${code(String(v))}\` |`)].join('\n');
}

/** Text for a Markdown table cell: a pipe or a line break would end the cell. */
function cellText(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** Text for a Markdown code span. */
function code(s: string): string {
  return cellText(s).replace(/`/g, "'");
}

function shortSha(ref: string): string {
  return /^[0-9a-f]{40}$/.test(ref) ? ref.slice(0, 7) : ref;
}

function describeState(state: DeploymentState): string {
  return HEADLINE[state].replace(/^\S+ /, '').replace('{{environment}} ', '');
}
