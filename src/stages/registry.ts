// The one list of stage types. Adding a stage is one file plus one line here.
import type { StageType } from '../pipeline/types.ts';
import { webhook } from './webhook.ts';
import { precondition } from './precondition.ts';
import { wait } from './wait.ts';
import { deploy } from './deploy.ts';
import { patch } from './patch.ts';
import { scale } from './scale.ts';
import { rolloutUndo } from './rollout-undo.ts';
import { del } from './delete.ts';
import { disable, enable } from './traffic.ts';
import { canaryAnalysis } from './canary-analysis.ts';
import { rollout } from './rollout.ts';
import { bake } from './bake.ts';
import { imageTag } from './image-tag.ts';
import { runWorkflow } from './run-workflow.ts';
import { approval } from './approval.ts';
import { preview } from './preview.ts';
import { jenkins } from './jenkins.ts';

export type Registry = Readonly<Record<string, StageType<unknown>>>;

export const stageTypes: Registry = Object.fromEntries(
  [webhook, precondition, wait, deploy, patch, scale, rolloutUndo, del, disable, enable, canaryAnalysis, rollout, bake, imageTag, runWorkflow, approval, preview, jenkins].map((t) => [t.type, t as StageType<unknown>]),
);
