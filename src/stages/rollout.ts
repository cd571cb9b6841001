// Progressive delivery from the workflow, without a controller in the cluster: traffic
// moves to the canary step by step, each step can be watched by an inline canary
// analysis, and a failure, a timeout or a cancellation puts all traffic back on stable
// in one write. `pause: {}` ends the job with the state recorded on the canary; a later
// job (behind an environment approval, or a workflow_dispatch) resumes it with
// `action: promote` or `action: abort`.
import { s, type Infer } from '../config/schema.ts';
import { duration } from '../config/fields.ts';
import { formatDuration } from '../config/duration.ts';
import { StageError, type StageContext, type StageType, type OutputValue } from '../pipeline/types.ts';
import { contextField, resolveTarget, targetSchema } from '../kube/target.ts';
import { refOf, serviceEndpoints, waitStable, podsOf } from '../kube/operations.ts';
import { KubeError, type KubeClient, type KubeObject } from '../kube/client.ts';
import { createRouter, replicaSplit, routerSchema, RouterType, type RouterConfig, type RouterContext } from '../rollout/routers.ts';
import { canaryAnalysis, analyse, realClock } from './canary-analysis.ts';
import { escapeHtml } from '../action/summary.ts';
import { sleep } from '../util/sleep.ts';

export const STATE_ANNOTATION = 'rollgate.dev/rollout';

const Action = { Run: 'run', Promote: 'promote', Abort: 'abort' } as const;
const Phase = { Completed: 'completed', Paused: 'paused', Aborted: 'aborted' } as const;

const stepSchema = s.union<Record<string, unknown>>(
  [
    s.object({ setWeight: s.number({ min: 0, max: 100 }).describe('Send this percentage of the traffic to the canary.') }, ['setWeight']),
    s.object(
      {
        pause: s
          .union<number | Record<string, never>>([duration(), s.object({})], 'a duration, or {} to wait for promotion')
          .describe('Wait this long, or ({}) end the job here and wait for a later run with action: promote or abort.'),
      },
      ['pause'],
    ),
    s.object({ analysis: canaryAnalysis.schema.describe('A canary analysis (the canary-analysis stage\'s fields) run inline; a failure aborts the rollout.') }, ['analysis']),
    s.object(
      {
        setCanaryScale: s
          .object({
            replicas: s.number({ integer: true, min: 0 }).describe('Exactly this many canary pods.'),
            weight: s.number({ min: 0, max: 100 }).describe('This percentage of the total replicas.'),
            matchTrafficWeight: s.boolean().describe('Back to following the traffic weight (the default).'),
          })
          .describe('Scale the canary independently of its traffic weight (CRD routers).'),
      },
      ['setCanaryScale'],
    ),
  ],
  'one of { setWeight: N }, { pause: DURATION | {} }, { analysis: {...} }, { setCanaryScale: {...} }',
);

const schema = s.object(
  {
    stable: targetSchema.describe('The stable workload (e.g. the second-newest ReplicaSet of a cluster, or a Deployment).'),
    canary: targetSchema.describe('The canary workload (e.g. the newest ReplicaSet of a cluster, or a Deployment).'),
    context: contextField,
    router: routerSchema,
    steps: s.array(stepSchema, { minItems: 1 }).describe('The steps, in order.'),
    action: s.enum(Object.values(Action)).describe('run (default) starts the steps; promote resumes a paused rollout from its recorded step; abort rolls it back.'),
    full: s.boolean().describe('With action promote: skip the remaining steps and promote at once.'),
    scaleDownDelay: duration().describe('After promotion, wait this long before scaling the old stable down, so endpoints and load balancers catch up. Default: 30s.'),
    keepCanaryOnAbort: s.boolean().describe('On abort, keep the canary pods running (without traffic) for debugging. Default: false.'),
    stepTimeout: duration().describe('How long each step may take to become stable. Default: 10m.'),
  },
  ['stable', 'canary', 'router', 'steps'],
);

export type RolloutConfig = Infer<typeof schema>;

interface HistoryEntry {
  step: number;
  what: string;
  weight: number;
  at: string;
  score?: number;
}

interface RolloutState {
  stage: string;
  status: 'running' | 'paused' | 'completed' | 'aborted';
  /** Index of the next step to run. */
  step: number;
  weight: number;
  totalReplicas: number;
  stable: string;
  canary: string;
  history: HistoryEntry[];
}

function readState(o: KubeObject): RolloutState | undefined {
  const raw = o.metadata.annotations?.[STATE_ANNOTATION];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as RolloutState;
  } catch {
    throw new StageError(`${o.kind} ${o.metadata.name} has an unreadable ${STATE_ANNOTATION} annotation; remove it to start over`);
  }
}

async function writeState(kube: KubeClient, o: KubeObject, state: RolloutState, signal: AbortSignal): Promise<void> {
  await kube.patch(refOf(o), { metadata: { annotations: { [STATE_ANNOTATION]: JSON.stringify(state) } } }, 'merge', { signal });
}

const describeStep = (st: Record<string, unknown>) =>
  'setWeight' in st
    ? `setWeight ${st.setWeight}`
    : 'pause' in st
      ? typeof st.pause === 'number'
        ? `pause ${formatDuration(st.pause)}`
        : 'pause until promoted'
      : 'analysis' in st
        ? 'analysis'
        : 'setCanaryScale';

export const rollout: StageType<RolloutConfig> = {
  type: 'rollout',
  description: 'Shifts traffic to a canary step by step (replica ratio, Istio, Gateway API or SMI), with inline analysis between steps, pauses for promotion, and a one-write rollback.',
  schema,
  outputs: {
    phase: 'completed, paused (waiting for action: promote or abort) or aborted.',
    step: 'Index of the next step (the one a promote resumes at).',
    weight: 'The canary\'s traffic weight now.',
    weights: 'JSON timeline: each step with its weight and time.',
    analysisScores: 'JSON list of the inline analyses\' final scores.',
    rollbackSeconds: 'After an abort: seconds from the decision to all traffic on stable.',
  },
  run,
};

async function run(c: RolloutConfig, ctx: StageContext) {
  const kube = await ctx.kube(c.context);
  const stable = (await resolveTarget(kube, c.stable, ctx.app, ctx.signal)).object;
  const canary = (await resolveTarget(kube, c.canary, ctx.app, ctx.signal)).object;
  if (stable.metadata.uid === canary.metadata.uid) throw new StageError(`stable and canary are the same ${stable.kind} ${stable.metadata.name}; a rollout needs two workloads`);
  const namespace = canary.metadata.namespace ?? kube.defaultNamespace;
  const routerConfig = c.router as RouterConfig;
  const router = createRouter(routerConfig);
  const prior = readState(canary);
  const action = c.action ?? Action.Run;

  let state: RolloutState;
  if (action === Action.Run) {
    if (prior?.status === 'paused' || prior?.status === 'running')
      throw new StageError(`the rollout of ${canary.metadata.name} is ${prior.status} at step ${prior.step}; resume it with action: promote, or roll it back with action: abort`);
    const total = (routerConfig.type === RouterType.Replicas && (routerConfig.totalReplicas as number | undefined)) || Math.max(1, (stable.spec?.replicas ?? 0) + (routerConfig.type === RouterType.Replicas ? (canary.spec?.replicas ?? 0) : 0));
    state = { stage: ctx.stageId, status: 'running', step: 0, weight: 0, totalReplicas: total, stable: stable.metadata.name, canary: canary.metadata.name, history: [] };
  } else {
    if (!prior) throw new StageError(`${canary.kind} ${canary.metadata.name} has no rollout to ${action} (no ${STATE_ANNOTATION} annotation); run the rollout first`);
    if (action === Action.Promote && prior.status !== 'paused') throw new StageError(`nothing to promote: the rollout of ${canary.metadata.name} is ${prior.status}, not paused`);
    if (action === Action.Abort && prior.status === 'completed') throw new StageError(`the rollout of ${canary.metadata.name} completed; roll back with a new rollout or a scale stage instead`);
    state = { ...prior, status: 'running' };
  }

  // Claim the rollout: the state is written onto the version of the canary read above, so of
  // two jobs that start, promote or abort the same rollout at once, exactly one goes on.
  // Controllers update the canary's status all the time; only a change of the rollout state
  // itself means another job got there first.
  const seen = canary.metadata.annotations?.[STATE_ANNOTATION];
  for (let version = canary.metadata.resourceVersion, attempt = 1; ; attempt++) {
    try {
      await kube.patch(refOf(canary), { metadata: { annotations: { [STATE_ANNOTATION]: JSON.stringify(state) } } }, 'merge', { signal: ctx.signal, resourceVersion: version });
      break;
    } catch (e) {
      if (!(e instanceof KubeError && e.code === 409)) throw e;
      const fresh = await kube.tryGet(refOf(canary), ctx.signal);
      if (!fresh || fresh.metadata.annotations?.[STATE_ANNOTATION] !== seen || attempt >= 5)
        throw new StageError(
          `${canary.kind} ${canary.metadata.name}: another job changed the rollout while this ${action} was starting, so this one changed nothing. The rollout is now ${fresh ? (readState(fresh)?.status ?? 'gone') : 'gone'}; run again if still needed`,
        );
      version = fresh.metadata.resourceVersion;
    }
  }

  const rc: RouterContext = { kube, namespace, stable, canary, totalReplicas: state.totalReplicas, signal: ctx.signal };
  const log = (what: string) => {
    state.history.push({ step: state.step, what, weight: state.weight, at: new Date().toISOString() });
    ctx.log.info(`[step ${state.step}] ${what} — canary weight ${state.weight}%`);
  };
  const stepTimeout = c.stepTimeout ?? 600_000;
  let canaryScale: number | undefined;
  const scaleCanaryForWeight = async (weight: number) => {
    if (router.scales) return;
    const replicas = canaryScale ?? replicaSplit(state.totalReplicas, weight).canary;
    if ((canary.spec?.replicas ?? 0) === replicas) return;
    await kube.patch(refOf(canary), { spec: { replicas } }, 'merge', { signal: ctx.signal });
    canary.spec = { ...canary.spec, replicas };
  };
  const settle = () => waitStable(kube, [refOf(stable), refOf(canary)], { timeoutMs: stepTimeout, signal: ctx.signal, log: ctx.log });
  const outputs = (phase: string, extra: Record<string, OutputValue> = {}): Record<string, OutputValue> => ({
    phase,
    step: state.step,
    weight: state.weight,
    weights: state.history as unknown as OutputValue,
    analysisScores: state.history.filter((h) => h.score !== undefined).map((h) => h.score!),
    ...extra,
  });

  const rollback = async (why: string): Promise<number> => {
    // Runs even when the stage was cancelled: a fresh deadline, not the stage's signal.
    const signal = AbortSignal.timeout(30_000);
    const started = performance.now();
    const rcb = { ...rc, signal };
    await router.setWeight(rcb, 0);
    if (!router.scales && !c.keepCanaryOnAbort) await kube.patch(refOf(canary), { spec: { replicas: 0 } }, 'merge', { signal });
    if (router.scales && c.keepCanaryOnAbort) ctx.log.info('keepCanaryOnAbort: with the replicas router a kept canary pod would still get traffic; it is scaled to 0');
    if (routerConfig.type === RouterType.Replicas && routerConfig.service) {
      const canaryPods = new Set((await podsOf(kube, canary, signal)).map((p) => p.metadata.name));
      for (;;) {
        const eps = await serviceEndpoints(kube, namespace, routerConfig.service as string, signal);
        if (![...eps].some((p) => canaryPods.has(p))) break;
        await sleep(100, signal);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    state.weight = 0;
    state.status = 'aborted';
    log(`aborted (${why}); all traffic on stable after ${seconds.toFixed(2)}s`);
    await writeState(kube, canary, state, signal);
    return seconds;
  };

  try {
    await router.check(rc);
    ctx.log.info(`${action === Action.Run ? 'starting' : action === Action.Promote ? 'resuming' : 'aborting'} the rollout of ${canary.kind} ${canary.metadata.name} (stable ${stable.metadata.name}) through ${router.describe()}, ${state.totalReplicas} replica(s) in all`);
    if (action === Action.Abort) {
      const seconds = await rollback('requested');
      return { outputs: outputs(Phase.Aborted, { rollbackSeconds: Number(seconds.toFixed(3)) }), summary: timeline(state) };
    }
    if (action === Action.Promote) log(c.full ? 'promoted in full' : 'promoted: resuming');
    await writeState(kube, canary, state, ctx.signal);
    const steps = c.steps as Record<string, unknown>[];
    const last = c.full && action === Action.Promote ? steps.length : undefined;
    if (last !== undefined) state.step = last;
    for (; state.step < steps.length; state.step++) {
      const step = steps[state.step]!;
      if ('setWeight' in step) {
        state.weight = step.setWeight as number;
        await scaleCanaryForWeight(state.weight);
        await router.setWeight(rc, state.weight);
        await settle();
        log(describeStep(step));
      } else if ('setCanaryScale' in step) {
        const sc = step.setCanaryScale as { replicas?: number; weight?: number; matchTrafficWeight?: boolean };
        canaryScale = sc.matchTrafficWeight ? undefined : (sc.replicas ?? replicaSplit(state.totalReplicas, sc.weight ?? state.weight).canary);
        await scaleCanaryForWeight(state.weight);
        await settle();
        log(`setCanaryScale ${canaryScale ?? 'matching the weight'}`);
      } else if ('pause' in step) {
        if (typeof step.pause === 'number') {
          log(describeStep(step));
          await sleep(step.pause, ctx.signal);
        } else {
          state.step++;
          state.status = 'paused';
          log('paused until promoted');
          await writeState(kube, canary, state, ctx.signal);
          ctx.log.info(`paused at step ${state.step}: resume with action: promote (or roll back with action: abort) in a later job`);
          return { outputs: outputs(Phase.Paused), summary: timeline(state) };
        }
      } else if ('analysis' in step) {
        const a = step.analysis as Parameters<typeof analyse>[0];
        try {
          const result = await analyse(a, { ...ctx, stageId: `${ctx.stageId}-step${state.step}` }, realClock);
          state.history.push({ step: state.step, what: 'analysis passed', weight: state.weight, at: new Date().toISOString(), score: result.outputs.score as number });
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          const score = e instanceof StageError ? (e.details?.score as number | undefined) : undefined;
          state.history.push({ step: state.step, what: 'analysis failed', weight: state.weight, at: new Date().toISOString(), score });
          const seconds = await rollback(`analysis at step ${state.step} failed`);
          throw new StageError(`analysis at step ${state.step} failed, rolled back in ${seconds.toFixed(2)}s: ${(e as Error).message}`, outputs(Phase.Aborted, { rollbackSeconds: Number(seconds.toFixed(3)) }), timeline(state));
        }
        await writeState(kube, canary, state, ctx.signal);
      }
    }
    // Promotion: the canary takes all traffic; the old stable goes after the delay.
    state.weight = 100;
    if (!router.scales) {
      canaryScale = state.totalReplicas;
      await scaleCanaryForWeight(100);
      await waitStable(kube, [refOf(canary)], { timeoutMs: stepTimeout, signal: ctx.signal, log: ctx.log });
    }
    if (router.scales) {
      // Keep the old pods until the delay has passed: canary at full size first.
      await kube.patch(refOf(canary), { spec: { replicas: state.totalReplicas } }, 'merge', { signal: ctx.signal });
      canary.spec = { ...canary.spec, replicas: state.totalReplicas };
      await waitStable(kube, [refOf(canary)], { timeoutMs: stepTimeout, signal: ctx.signal, log: ctx.log });
    } else await router.setWeight(rc, 100);
    log('promoted: all traffic on the canary');
    const delay = c.scaleDownDelay ?? 30_000;
    ctx.log.info(`scaling the old stable ${stable.metadata.name} down in ${formatDuration(delay)}`);
    await sleep(delay, ctx.signal);
    await kube.patch(refOf(stable), { spec: { replicas: 0 } }, 'merge', { signal: ctx.signal });
    state.status = 'completed';
    log(`scaled ${stable.metadata.name} to 0`);
    await writeState(kube, canary, state, ctx.signal);
    return { outputs: outputs(Phase.Completed), summary: timeline(state) };
  } catch (e) {
    if (e instanceof StageError && e.details?.phase === Phase.Aborted) throw e;
    // Any other failure, a timeout or a cancellation: put traffic back on stable first.
    const why = ctx.signal.aborted ? 'cancelled or timed out' : (e as Error).message;
    let seconds: number | undefined;
    try {
      seconds = await rollback(why);
    } catch (rb) {
      // A refused request (a missing RBAC verb, say) usually refuses the rollback the same
      // way: say it once. With action: abort the failure was the rollback itself.
      const [first, second] = [(e as Error).message, (rb as Error).message];
      if (first !== second) throw new StageError(`${first}; and the rollback failed too: ${second} — check the traffic split by hand`);
      if (action === Action.Abort) throw new StageError(`the rollback failed: ${first} — check the traffic split by hand`);
      throw new StageError(`${first}; and the rollback failed the same way — check the traffic split by hand`);
    }
    throw new StageError(`${ctx.signal.aborted ? 'stopped' : (e as Error).message}; rolled back in ${seconds.toFixed(2)}s`, outputs(Phase.Aborted, { rollbackSeconds: Number(seconds.toFixed(3)) }), timeline(state));
  }
}

function timeline(state: RolloutState): string {
  return `<table><thead><tr><th>Step</th><th>What</th><th>Canary weight</th><th>Score</th><th>At</th></tr></thead><tbody>${state.history
    .map((h) => `<tr><td>${h.step}</td><td>${escapeHtml(h.what)}</td><td>${h.weight}%</td><td>${h.score ?? ''}</td><td>${escapeHtml(h.at)}</td></tr>`)
    .join('')}</tbody></table>`;
}
