// What the workflow run says about itself: the event that started it (the payload file
// at GITHUB_EVENT_PATH) and its own address.
import { readFile } from 'node:fs/promises';
import { StageError } from '../pipeline/types.ts';

export interface PullRequest {
  number: number;
  /** The head commit: what a preview deploys (GITHUB_SHA is the test merge commit). */
  headSha?: string;
  headRef?: string;
}

/** The event payload, or undefined outside GitHub Actions. */
export async function readEvent(env: NodeJS.ProcessEnv): Promise<Record<string, unknown> | undefined> {
  const file = env.GITHUB_EVENT_PATH;
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StageError(`GITHUB_EVENT_PATH ${file} cannot be read: ${(e as Error).message}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch (e) {
    throw new StageError(`GITHUB_EVENT_PATH ${file} is not JSON (${(e as Error).message}); it should be the event payload the runner wrote`);
  }
}

/** The pull request of a pull_request, pull_request_target or issue_comment (on a PR) event. */
export function pullRequestOf(event: Record<string, unknown> | undefined): PullRequest | undefined {
  if (!event) return undefined;
  const pr = event.pull_request as { number?: unknown; head?: { sha?: unknown; ref?: unknown } } | undefined;
  if (pr && typeof pr.number === 'number') {
    return {
      number: pr.number,
      headSha: typeof pr.head?.sha === 'string' ? pr.head.sha : undefined,
      headRef: typeof pr.head?.ref === 'string' ? pr.head.ref : undefined,
    };
  }
  const issue = event.issue as { number?: unknown; pull_request?: unknown } | undefined;
  if (issue && issue.pull_request && typeof issue.number === 'number') return { number: issue.number };
  return undefined;
}

/** The web address of the current workflow run, for log links. */
export function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined;
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}
