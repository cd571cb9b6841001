// One pull request comment per purpose, found again by a hidden marker, so a second
// run edits the comment it wrote instead of adding another.
import type { GitHubClient } from './client.ts';

/** GitHub's limit on a comment body. */
const MAX_BODY = 65_536;

interface IssueComment {
  id: number;
  body?: string;
  html_url: string;
}

export interface CommentRef {
  id: number;
  url: string;
  created: boolean;
}

/** The hidden line that marks a comment as ours for `key`. */
export function markerOf(key: string): string {
  // A '>' would end the HTML comment early and show the rest.
  return `<!-- ${key.replace(/>/g, '')} -->`;
}

export async function findComment(gh: GitHubClient, issue: number, marker: string): Promise<IssueComment | undefined> {
  const all = await gh.list<IssueComment>('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { issue_number: issue });
  return all.find((c) => c.body?.includes(marker));
}

/** Edits the marked comment, or writes it when there is none. */
export async function upsertComment(gh: GitHubClient, o: { issue: number; marker: string; body: string; createIfMissing?: boolean }): Promise<CommentRef | undefined> {
  const text = clip(`${o.marker}\n${o.body}`);
  const existing = await findComment(gh, o.issue, o.marker);
  if (existing) {
    const r = await gh.request<IssueComment>('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { comment_id: existing.id, body: text });
    return { id: r.data.id, url: r.data.html_url, created: false };
  }
  if (o.createIfMissing === false) return undefined;
  const r = await gh.request<IssueComment>('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { issue_number: o.issue, body: text });
  return { id: r.data.id, url: r.data.html_url, created: true };
}

function clip(text: string): string {
  if (text.length <= MAX_BODY) return text;
  return `${text.slice(0, MAX_BODY - 40)}\n\n…(cut at GitHub's comment limit)`;
}
