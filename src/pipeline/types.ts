import type { Artifact, ArtifactMatch } from './artifacts.ts';
import type { Logger } from '../log/logger.ts';
import type { ObjectSchema } from '../config/schema.ts';
import type { HttpClient } from '../http/client.ts';
import type { KubeClient } from '../kube/client.ts';
import type { MetricStoreConfig } from '../metrics/store.ts';

export const StageStatus = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  /** Failed under `onFailure: continue`: downstream stages run as if it succeeded. */
  FailedContinue: 'failed-continue',
  Skipped: 'skipped',
  Cancelled: 'cancelled',
} as const;
export type StageStatus = (typeof StageStatus)[keyof typeof StageStatus];

export const FailurePolicy = {
  FailPipeline: 'fail-pipeline',
  StopBranch: 'stop-branch',
  StopBranchFailPipeline: 'stop-branch-fail-pipeline',
  Continue: 'continue',
} as const;
export type FailurePolicy = (typeof FailurePolicy)[keyof typeof FailurePolicy];

export type OutputValue = string | number | boolean | null | OutputValue[] | { [k: string]: OutputValue };

/** What a stage hands back when it succeeds. */
export interface StageProducts {
  outputs?: Record<string, OutputValue>;
  artifacts?: Artifact[];
  /** An HTML fragment for the job summary, every value in it already escaped. */
  summary?: string;
}

export interface StageContext {
  stageId: string;
  /** Aborted on timeout, cancellation or when another stage fails the pipeline. */
  signal: AbortSignal;
  log: Logger;
  /** Artifacts available to this stage: from earlier jobs and upstream stages. */
  artifacts: readonly Artifact[];
  /** The stage's start condition, for stages that must use what it names (deploy binds images). */
  requiredArtifacts: readonly ArtifactMatch[];
  /** The workspace: relative paths in stage fields are read from here. */
  workspace: string;
  /** A private directory for this run's temporary files, removed by the post step. */
  tempDir: string;
  /** Where reports go (kept after the run). */
  reportDir: string;
  /** Metric stores declared in the pipeline file, by name. */
  metricStores: Readonly<Record<string, MetricStoreConfig>>;
  dryRun: boolean;
  /** Registers a value that must never appear in logs, outputs or reports. */
  addSecret(value: string): void;
  /** Statuses of stages that already ended, for the precondition stage. */
  stageStatus(id: string): StageStatus | undefined;
  /** Evaluates a condition-language expression against inputs and upstream outputs. */
  evaluate(expression: string): { value: unknown; seen: { text: string; value: unknown }[] };
  env: NodeJS.ProcessEnv;
  http: HttpClient;
  /** A Kubernetes client for the run's kubeconfig (one per context, made on first use). */
  kube(context?: string): Promise<KubeClient>;
  /** The pipeline's application (moniker), for dynamic targets and annotations. */
  app: string;
  /** Token for the GitHub API (the action's github-token input, or $GITHUB_TOKEN from a terminal); already masked. */
  githubToken?: string;
}

export interface StageType<C> {
  type: string;
  /** One line for the docs and the schema. */
  description: string;
  // Stage fields are a mapping; the pipeline schema adds the common keys to it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  schema: ObjectSchema<any, any>;
  /** Output names and their meaning, for the docs. */
  outputs: Record<string, string>;
  run(config: C, ctx: StageContext): Promise<StageProducts>;
}

/** A failure the stage explains itself; the message is shown as it is. */
export class StageError extends Error {
  override name = 'StageError';
  readonly details?: Record<string, OutputValue>;
  /** A job summary fragment even though the stage failed (e.g. the canary report). */
  readonly summary?: string;
  constructor(message: string, details?: Record<string, OutputValue>, summary?: string) {
    super(message);
    this.details = details;
    this.summary = summary;
  }
}

export interface StageRecord {
  id: string;
  type: string;
  name?: string;
  status: StageStatus;
  startedAt?: string;
  durationMs?: number;
  outputs: Record<string, OutputValue>;
  artifacts: Artifact[];
  error?: string;
  /** Why it was skipped or cancelled. */
  reason?: string;
  /** Line of the stage in its pipeline file, for annotations. */
  line?: number;
  /** The stage's own job summary section (HTML, escaped). */
  summary?: string;
}

export const PipelineResult = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type PipelineResult = (typeof PipelineResult)[keyof typeof PipelineResult];

export interface RunReport {
  pipeline: string;
  source: string;
  result: PipelineResult;
  startedAt: string;
  durationMs: number;
  dryRun: boolean;
  inputs: Record<string, unknown>;
  stages: StageRecord[];
  artifacts: Artifact[];
}
