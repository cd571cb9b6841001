// Deployments and their statuses: what GitHub shows on a pull request and under
// Environments ("Active", "Destroyed" for a transient environment made inactive).
import { StageError } from '../pipeline/types.ts';
import type { GitHubClient } from './client.ts';

export const DeploymentState = {
  Queued: 'queued',
  Pending: 'pending',
  InProgress: 'in_progress',
  Success: 'success',
  Failure: 'failure',
  Error: 'error',
  Inactive: 'inactive',
} as const;
export type DeploymentState = (typeof DeploymentState)[keyof typeof DeploymentState];

export interface Deployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  created_at: string;
}

interface DeploymentStatus {
  id: number;
  state: DeploymentState;
}

/** A deployment of `ref` to a preview environment: transient, never production, no merge, no status checks. */
export async function createDeployment(gh: GitHubClient, o: { ref: string; environment: string; description: string }): Promise<Deployment> {
  const r = await gh.request<Deployment | { message?: string }>('POST /repos/{owner}/{repo}/deployments', {
    ref: o.ref,
    environment: o.environment,
    description: o.description,
    transient_environment: true,
    production_environment: false,
    auto_merge: false,
    required_contexts: [],
  });
  // 202 means GitHub merged the default branch in instead of deploying; auto_merge: false should prevent it.
  if (r.status !== 201 || !('id' in r.data))
    throw new StageError(`GitHub answered ${r.status} to POST /repos/${gh.repository.owner}/${gh.repository.repo}/deployments without creating one: ${(r.data as { message?: string }).message ?? 'no message'}`);
  return r.data;
}

export async function setDeploymentStatus(
  gh: GitHubClient,
  id: number,
  o: { state: DeploymentState; environmentUrl?: string; logUrl?: string; description?: string },
): Promise<void> {
  await gh.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
    deployment_id: id,
    state: o.state,
    ...(o.environmentUrl ? { environment_url: o.environmentUrl } : {}),
    ...(o.logUrl ? { log_url: o.logUrl } : {}),
    ...(o.description ? { description: o.description.slice(0, 140) } : {}),
  });
}

/** Every deployment of the environment, newest first. */
export function deploymentsOf(gh: GitHubClient, environment: string, max?: number): Promise<Deployment[]> {
  return gh.list<Deployment>('GET /repos/{owner}/{repo}/deployments', { environment, ...(max === 1 ? { per_page: 1 } : {}) }, { max });
}

/** The deployment's newest status, or undefined when it has none. */
export async function latestState(gh: GitHubClient, id: number): Promise<DeploymentState | undefined> {
  const r = await gh.request<DeploymentStatus[]>('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { deployment_id: id, per_page: 1 });
  return r.data[0]?.state;
}
