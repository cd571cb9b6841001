// The named YAML blocks of the GitHub and Jenkins docs, for the tests that check them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stageTypes } from '../../src/stages/registry.ts';
import { runWorkflow } from '../../src/stages/run-workflow.ts';
import { approval } from '../../src/stages/approval.ts';
import { preview } from '../../src/stages/preview.ts';
import { jenkins } from '../../src/stages/jenkins.ts';
import { ROOT } from '../helpers/runner.ts';

export const docsRegistry = { ...stageTypes, 'run-workflow': runWorkflow, approval, preview, jenkins };

/** The ```yaml blocks of a Markdown file whose first line is `# <path>`, by that path. */
export function namedBlocks(file: string): { name: string; text: string }[] {
  const md = readFileSync(path.join(ROOT, file), 'utf8');
  return [...md.matchAll(/```yaml\n# (\S+)\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, text: m[2]! }));
}
