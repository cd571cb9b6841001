// The one list of stage types. Adding a stage is one file plus one line here.
import type { StageType } from '../pipeline/types.ts';
import { webhook } from './webhook.ts';
import { precondition } from './precondition.ts';
import { wait } from './wait.ts';

export type Registry = Readonly<Record<string, StageType<unknown>>>;

export const stageTypes: Registry = Object.fromEntries(
  [webhook, precondition, wait].map((t) => [t.type, t as StageType<unknown>]),
);
