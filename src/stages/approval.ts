import { s, type Infer } from '../config/schema.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import { escapeHtml } from '../action/summary.ts';
import { githubClient, type GitHubFactory } from '../github/client.ts';

const PERMISSIONS = 'actions: read';

const ApprovalState = { Approved: 'approved', Rejected: 'rejected', Pending: 'pending' } as const;
type ApprovalState = (typeof ApprovalState)[keyof typeof ApprovalState];

/** One review of a deployment gate, as GET .../actions/runs/{run_id}/approvals lists it. */
interface Approval {
  environments: { name?: string }[];
  state: ApprovalState;
  user: { login: string; html_url?: string };
  comment: string;
}

const schema = s.object(
  {
    environment: s
      .string({ minLength: 1 })
      .describe("The environment whose approval this job waited for: the job's `environment:`, which has required reviewers."),
    requireApprovers: s
      .array(s.string({ pattern: /^[A-Za-z0-9-]+(\[bot\])?$/, patternText: 'a GitHub login' }), { minItems: 1 })
      .describe('The approval must come from one of these GitHub logins (GitHub lets any one required reviewer approve).'),
    forbidSelfApproval: s
      .boolean()
      .describe('Fail when every approval comes from whoever started or re-ran the run (GITHUB_ACTOR, GITHUB_TRIGGERING_ACTOR). Default: false.'),
  },
  ['environment'],
);

export type ApprovalConfig = Infer<typeof schema>;

/** The stage, with the way it gets its GitHub client (tests pass their own). */
export function createApprovalStage(deps: { github?: GitHubFactory } = {}): StageType<ApprovalConfig> {
  const github = deps.github ?? githubClient;
  return {
    type: 'approval',
    description:
      'Checks that this job passed an environment approval gate and records who approved it; fails when the run has no approval for the environment, so a misconfigured gate is caught.',
    schema,
    outputs: {
      approvers: 'JSON list of the logins whose approval counts.',
      comment: 'Their comments, one per line.',
      environment: 'The environment, as GitHub spells it.',
      checkedAt: "When the approval was checked (ISO 8601); GitHub's approvals API gives no approval time, and the gated job starts right after the approval.",
      runId: 'The workflow run whose approvals were read.',
    },
    run: (config, ctx) => run(config, ctx, github),
  };
}

export const approval = createApprovalStage();

async function run(config: ApprovalConfig, ctx: StageContext, github: GitHubFactory) {
  const runId = ctx.env.GITHUB_RUN_ID;
  if (!runId || !/^\d+$/.test(runId))
    throw new StageError(`GITHUB_RUN_ID is ${runId ? JSON.stringify(runId) : 'not set'}; the approval stage reads the approvals of the current workflow run, so it runs inside GitHub Actions, in the job that declares environment: ${config.environment}`);
  const gh = await github(ctx, { permissions: PERMISSIONS });
  const { data } = await gh.request<Approval[]>('GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals', { run_id: Number(runId) });
  const want = config.environment.toLowerCase();
  // Environment names are case-insensitive on GitHub.
  const forEnv = data.filter((a) => a.environments.some((e) => e.name?.toLowerCase() === want));
  const approved = forEnv.filter((a) => a.state === ApprovalState.Approved);
  const fail: (message: string) => never = (message) => {
    throw new StageError(message, { runId: Number(runId), environment: config.environment }, summaryOf(config.environment, [], message));
  };

  if (!approved.length) {
    const rejected = forEnv.filter((a) => a.state === ApprovalState.Rejected);
    if (rejected.length) fail(`run ${runId}: the deployment to ${config.environment} was rejected by ${logins(rejected)}`);
    const others = [...new Set(data.flatMap((a) => a.environments.map((e) => e.name ?? '')).filter(Boolean))];
    if (others.length)
      fail(`run ${runId} has approvals for ${others.join(', ')} but none for ${config.environment}; check that this job declares environment: ${config.environment} and that the stage's environment field names it`);
    fail(
      `run ${runId} has no approval for environment ${config.environment}: the job must declare environment: ${config.environment}, and the environment must have required reviewers (repository Settings → Environments → ${config.environment} → Required reviewers); without them GitHub starts the job with no approval`,
    );
  }

  let counted = approved;
  if (config.requireApprovers) {
    const allowed = new Set(config.requireApprovers.map((l) => l.toLowerCase()));
    counted = counted.filter((a) => allowed.has(a.user.login.toLowerCase()));
    if (!counted.length) fail(`${config.environment} was approved by ${logins(approved)}, none of whom is in requireApprovers (${config.requireApprovers.join(', ')})`);
  }
  if (config.forbidSelfApproval) {
    const self = new Set([ctx.env.GITHUB_ACTOR, ctx.env.GITHUB_TRIGGERING_ACTOR].filter((x): x is string => !!x).map((l) => l.toLowerCase()));
    if (!self.size) fail('forbidSelfApproval needs GITHUB_ACTOR to know who started the run, and it is not set');
    const byOthers = counted.filter((a) => !self.has(a.user.login.toLowerCase()));
    if (!byOthers.length) fail(`${config.environment} was approved only by ${logins(counted)}, who started this run; forbidSelfApproval wants an approval from someone else`);
    counted = byOthers;
  }

  const approvers = [...new Set(counted.map((a) => a.user.login))];
  const environment = counted[0]!.environments.find((e) => e.name?.toLowerCase() === want)?.name ?? config.environment;
  const comment = counted.map((a) => a.comment.trim()).filter(Boolean).join('\n');
  ctx.log.info(`${environment} approved by ${approvers.join(', ')}${comment ? `: ${comment}` : ''}`);
  return {
    outputs: { approvers, comment, environment, checkedAt: new Date().toISOString(), runId: Number(runId) },
    summary: summaryOf(environment, counted),
  };
}

function logins(list: Approval[]): string {
  return [...new Set(list.map((a) => a.user.login))].join(', ');
}

function summaryOf(environment: string, counted: Approval[], failure?: string): string {
  if (failure) return `<p>❌ No valid approval for <b>${escapeHtml(environment)}</b>: ${escapeHtml(failure)}</p>`;
  const items = counted.map((a) => {
    const who = a.user.html_url ? `<a href="${escapeHtml(a.user.html_url)}">@${escapeHtml(a.user.login)}</a>` : `@${escapeHtml(a.user.login)}`;
    return `<li>${who}${a.comment.trim() ? `: <q>${escapeHtml(a.comment.trim())}</q>` : ''}</li>`;
  });
  return `<p>✅ Deployment to <b>${escapeHtml(environment)}</b> approved</p>\n<ul>${items.join('')}</ul>`;
}
