import { s, type Infer } from '../config/schema.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import { contextField, resolveTarget, targetSchema } from '../kube/target.ts';
import { DEFAULT_WAIT_MS, refOf, waitStable } from '../kube/operations.ts';
import { SCALABLE, canonicalKind } from '../kube/kinds.ts';
import { targetOutputs, waitFields } from './kube-fields.ts';

const schema = s.object(
  { target: targetSchema, context: contextField, replicas: s.number({ integer: true, min: 0 }).describe('The new number of replicas.'), ...waitFields },
  ['target', 'replicas'],
  {
    validate: (v, p, ctx) => {
      if (!SCALABLE.has(canonicalKind(v.target.kind)))
        ctx.issues.push({ path: [...p, 'target', 'kind'], message: `is ${JSON.stringify(v.target.kind)}; expected a kind that scales: ${[...SCALABLE].join(', ')}` });
    },
  },
);

export type ScaleConfig = Infer<typeof schema>;

export const scale: StageType<ScaleConfig> = {
  type: 'scale',
  description: 'Sets the replicas of a Deployment, ReplicaSet or StatefulSet (static or dynamic target); waits until stable.',
  schema,
  outputs: { ...targetOutputs, previousReplicas: 'Replicas before the change.', replicas: 'Replicas now.' },
  async run(config: ScaleConfig, ctx: StageContext) {
    const kube = await ctx.kube(config.context);
    const target = await resolveTarget(kube, config.target, ctx.app, ctx.signal);
    const previous = target.object.spec?.replicas ?? 1;
    try {
      await kube.patch(refOf(target.object), { spec: { replicas: config.replicas } }, 'merge', { dryRun: ctx.dryRun, signal: ctx.signal });
    } catch (e) {
      throw new StageError(`scaling ${target.description}: ${(e as Error).message}`);
    }
    ctx.log.info(`${ctx.dryRun ? 'dry run: would scale' : 'scaled'} ${target.description} from ${previous} to ${config.replicas} replica(s)`);
    if (!ctx.dryRun && config.wait !== false)
      await waitStable(kube, [refOf(target.object)], { timeoutMs: config.waitTimeout ?? DEFAULT_WAIT_MS, signal: ctx.signal, log: ctx.log });
    const o = target.object;
    return { outputs: { kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name, previousReplicas: previous, replicas: config.replicas } };
  },
};
