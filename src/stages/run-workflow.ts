import { s, type Infer } from '../config/schema.ts';
import { duration } from '../config/fields.ts';
import { formatDuration } from '../config/duration.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import { githubClient, repositoryField, type GitHubFactory } from '../github/client.ts';
import { cancelRun, defaultBranch, dispatchWorkflow, getRun, RunConclusion, waitForRun } from '../github/workflows.ts';

const PERMISSIONS = 'actions: write';
/** GitHub's limit on workflow_dispatch inputs. */
const MAX_INPUTS = 25;

const schema = s.object(
  {
    workflow: s
      .union<string | number>(
        [
          s.string({ pattern: /^(\.github\/workflows\/)?[^/\s]+\.ya?ml$|^\d+$/, patternText: 'a workflow file name such as smoke.yml, or its numeric id' }),
          s.number({ integer: true, min: 1 }),
        ],
        'a workflow file name such as smoke.yml, or its numeric id',
      )
      .describe('The workflow to run: its file name in .github/workflows (smoke.yml) or its numeric id. It needs a workflow_dispatch trigger.'),
    ref: s
      .string({ minLength: 1 })
      .describe("Branch or tag to run it on. Default: this run's branch or tag (GITHUB_REF_NAME), else the repository's default branch."),
    inputs: s
      .record(s.union<string | number | boolean>([s.string(), s.number(), s.boolean()], 'a string, number or boolean'))
      .describe(`The workflow's inputs (at most ${MAX_INPUTS}); numbers and booleans are sent as text.`),
    repository: repositoryField(),
    wait: s.boolean().describe('Wait until the run completes, and fail unless it succeeds. Default: true.'),
    waitTimeout: duration().describe('How long to wait for the run to complete. Default: 1h.'),
    pollInterval: duration().describe('Time between checks of the run. Default: 10s.'),
  },
  ['workflow'],
  {
    validate: (v, p, ctx) => {
      const n = Object.keys(v.inputs ?? {}).length;
      if (n > MAX_INPUTS) ctx.issues.push({ path: [...p, 'inputs'], message: `has ${n} inputs; expected at most ${MAX_INPUTS} (GitHub's limit for workflow_dispatch)` });
    },
  },
);

export type RunWorkflowConfig = Infer<typeof schema>;

/** The stage, with the way it gets its GitHub client (tests pass their own). */
export function createRunWorkflowStage(deps: { github?: GitHubFactory } = {}): StageType<RunWorkflowConfig> {
  const github = deps.github ?? githubClient;
  return {
    type: 'run-workflow',
    description: "Runs another GitHub Actions workflow (workflow_dispatch) and waits for its result, as Spinnaker's pipeline stage runs another pipeline.",
    schema,
    outputs: {
      runId: 'Id of the workflow run started.',
      runUrl: 'Its web address.',
      runStatus: 'Its last status seen: queued, in_progress, completed, ...',
      conclusion: 'With wait: how it ended (success, failure, cancelled, timed_out, ...).',
    },
    run: (config, ctx) => run(config, ctx, github),
  };
}

export const runWorkflow = createRunWorkflowStage();

async function run(config: RunWorkflowConfig, ctx: StageContext, github: GitHubFactory) {
  const workflow = typeof config.workflow === 'string' ? config.workflow.replace(/^\.github\/workflows\//, '') : config.workflow;
  const inputs = Object.fromEntries(Object.entries(config.inputs ?? {}).map(([k, v]) => [k, String(v)]));
  const ownRepo = !config.repository || config.repository === ctx.env.GITHUB_REPOSITORY;
  // A pull request's ref (refs/pull/N/merge) cannot be dispatched on, nor can this run's ref in another repository.
  const currentRef = ownRepo && /^refs\/(heads|tags)\//.test(ctx.env.GITHUB_REF ?? '') ? (ctx.env.GITHUB_REF_NAME ?? ctx.env.GITHUB_REF!.replace(/^refs\/(heads|tags)\//, '')) : undefined;
  const shownInputs = Object.keys(inputs).length ? ` with inputs ${JSON.stringify(inputs)}` : '';
  const repoText = config.repository ?? ctx.env.GITHUB_REPOSITORY ?? '(this repository)';

  if (ctx.dryRun) {
    ctx.log.info(`dry run: would run ${workflow} of ${repoText} on ${config.ref ?? currentRef ?? "the repository's default branch"}${shownInputs}`);
    return { outputs: { runId: 0, runUrl: '', runStatus: '', conclusion: '' } };
  }

  const gh = await github(ctx, { repository: config.repository, permissions: PERMISSIONS });
  const ref = config.ref ?? currentRef ?? (await defaultBranch(gh));
  const pollMs = config.pollInterval ?? 10_000;
  ctx.log.info(`Running ${workflow} of ${gh.repository.owner}/${gh.repository.repo} on ${ref}${shownInputs}`);
  const started = await dispatchWorkflow(gh, { workflow, ref, inputs, pollMs: Math.min(pollMs, 3000), log: ctx.log, signal: ctx.signal });
  ctx.log.info(`Run ${started.id}: ${started.url}`);

  if (config.wait === false) {
    const status = (await getRun(gh, started.id)).status ?? '';
    return { outputs: { runId: started.id, runUrl: started.url, runStatus: status, conclusion: '' } };
  }

  const timeoutMs = config.waitTimeout ?? 60 * 60_000;
  ctx.log.info(`Waiting up to ${formatDuration(timeoutMs)} for it to complete, checking every ${formatDuration(pollMs)}`);
  let done;
  try {
    done = await waitForRun(gh, started.id, { timeoutMs, pollMs, log: ctx.log, signal: ctx.signal });
  } catch (e) {
    // Cancelling the stage cancels the run it started, as Spinnaker cancels a child pipeline.
    if (!ctx.signal.aborted) throw e;
    const what = await cancelRun(gh, started.id).then(
      (cancelled) => (cancelled ? `asked GitHub to cancel run ${started.id}` : `run ${started.id} had already ended`),
      (err: unknown) => `could not cancel run ${started.id}: ${(err as Error).message}`,
    );
    ctx.log.info(what.charAt(0).toUpperCase() + what.slice(1));
    // The outputs name the run, so whoever looks at the cancelled job can find it.
    throw new StageError(`stopped waiting for ${workflow}; ${what}: ${started.url}`, { runId: started.id, runUrl: started.url, runStatus: '', conclusion: '' });
  }
  const outputs = { runId: started.id, runUrl: done.html_url || started.url, runStatus: done.status ?? '', conclusion: done.conclusion ?? '' };
  if (done.conclusion !== RunConclusion.Success)
    throw new StageError(`run ${started.id} of ${workflow} ended with conclusion ${done.conclusion ?? '(none)'}, not success: ${outputs.runUrl}`, outputs);
  return { outputs };
}
