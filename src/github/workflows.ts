// Starting a workflow run (workflow_dispatch) and following it to its end.
import { StageError } from '../pipeline/types.ts';
import { formatDuration } from '../config/duration.ts';
import { sleep } from '../util/sleep.ts';
import type { Logger } from '../log/logger.ts';
import type { GitHubClient } from './client.ts';

export const RunStatus = { Completed: 'completed' } as const;
export const RunConclusion = { Success: 'success' } as const;

/** The fields of a workflow run that rollgate reads. */
export interface WorkflowRun {
  id: number;
  html_url: string;
  status: string | null;
  conclusion: string | null;
  created_at: string;
  head_branch: string | null;
  event: string;
}

interface DispatchDetails {
  workflow_run_id: number;
  run_url: string;
  html_url: string;
}

/** How far back a 204-answered dispatch looks for its run: clocks and GitHub's queue lag a little. */
const CLOCK_SLACK_MS = 5_000;
/** How long a 204-answered dispatch looks for the run it created. */
const FIND_TIMEOUT_MS = 2 * 60_000;
/**
 * Runs already taken by a dispatch of this process, so that two stages dispatching the
 * same workflow on the same ref, answered 204, do not follow the same run.
 */
const claimed = new Set<number>();

const DISPATCH = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
const LIST_RUNS = 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs';
const GET_RUN = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';

export async function defaultBranch(gh: GitHubClient): Promise<string> {
  const r = await gh.request<{ default_branch: string }>('GET /repos/{owner}/{repo}');
  return r.data.default_branch;
}

/** A branch or tag name as a run's head_branch shows it. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

export async function dispatchWorkflow(
  gh: GitHubClient,
  o: { workflow: string | number; ref: string; inputs: Record<string, string>; pollMs: number; log: Logger; signal: AbortSignal },
): Promise<{ id: number; url: string }> {
  const since = new Date(Date.now() - CLOCK_SLACK_MS);
  const r = await gh.request<DispatchDetails | undefined>(DISPATCH, {
    workflow_id: o.workflow,
    ref: o.ref,
    inputs: o.inputs,
    // Since 2026-02-19 GitHub answers 200 with the new run's id; older servers (GHES) answer 204.
    return_run_details: true,
  });
  if (r.status === 200 && r.data?.workflow_run_id) {
    claimed.add(r.data.workflow_run_id);
    return { id: r.data.workflow_run_id, url: r.data.html_url };
  }
  o.log.info(`GitHub accepted the dispatch without naming the run (${r.status}); looking for it among the workflow's runs`);
  const run = await findDispatchedRun(gh, { workflow: o.workflow, ref: o.ref, since, pollMs: o.pollMs, signal: o.signal });
  return { id: run.id, url: run.html_url };
}

async function findDispatchedRun(
  gh: GitHubClient,
  o: { workflow: string | number; ref: string; since: Date; pollMs: number; signal: AbortSignal },
): Promise<WorkflowRun> {
  const branch = shortRef(o.ref);
  const created = `>=${o.since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
  const deadline = Date.now() + FIND_TIMEOUT_MS;
  for (;;) {
    const r = await gh.request<{ workflow_runs: WorkflowRun[] }>(LIST_RUNS, {
      workflow_id: o.workflow,
      event: 'workflow_dispatch',
      branch,
      created,
      per_page: 30,
    });
    const fresh = r.data.workflow_runs
      .filter((w) => !claimed.has(w.id) && w.event === 'workflow_dispatch' && w.head_branch === branch && Date.parse(w.created_at) >= o.since.getTime())
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id);
    if (fresh[0]) {
      claimed.add(fresh[0].id);
      return fresh[0];
    }
    if (Date.now() + o.pollMs > deadline)
      throw new StageError(
        `the dispatch was accepted, but no workflow_dispatch run of ${o.workflow} on ${branch} created since ${o.since.toISOString()} appeared within ${formatDuration(FIND_TIMEOUT_MS)}; check the workflow's runs on GitHub (does the workflow have a workflow_dispatch trigger on that ref?)`,
      );
    await sleep(o.pollMs, o.signal);
  }
}

export async function getRun(gh: GitHubClient, runId: number): Promise<WorkflowRun> {
  return (await gh.request<WorkflowRun>(GET_RUN, { run_id: runId })).data;
}

/** Asks GitHub to cancel the run; a run that already ended answers 409, which is fine. */
export async function cancelRun(gh: GitHubClient, runId: number): Promise<boolean> {
  try {
    await gh.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel', { run_id: runId }, { signal: AbortSignal.timeout(4000) });
    return true;
  } catch (e) {
    if ((e as { status?: number }).status === 409) return false;
    throw e;
  }
}

/** Polls the run until it is completed; fails on a timeout. */
export async function waitForRun(
  gh: GitHubClient,
  runId: number,
  o: { timeoutMs: number; pollMs: number; log: Logger; signal: AbortSignal },
): Promise<WorkflowRun> {
  const deadline = Date.now() + o.timeoutMs;
  let last: string | null | undefined;
  for (;;) {
    const run = await getRun(gh, runId);
    if (run.status !== last) {
      o.log.info(`Run ${runId}: ${run.status}${run.conclusion ? ` (${run.conclusion})` : ''}`);
      last = run.status;
    }
    if (run.status === RunStatus.Completed) return run;
    if (Date.now() + o.pollMs > deadline)
      throw new StageError(`run ${runId} is still ${run.status} after ${formatDuration(o.timeoutMs)} (waitTimeout); see ${run.html_url}`, {
        runId,
        runUrl: run.html_url,
        status: run.status ?? '',
      });
    await sleep(o.pollMs, o.signal);
  }
}
