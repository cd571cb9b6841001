import { s, type Infer } from '../config/schema.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import { apiVersionOf, contextField, resolveTarget, targetSchema } from '../kube/target.ts';
import { describeRef, refOf } from '../kube/operations.ts';
import { canonicalKind } from '../kube/kinds.ts';
import type { ObjectRef } from '../kube/client.ts';

const Cascade = { Background: 'background', Foreground: 'foreground', Orphan: 'orphan' } as const;

const schema = s.object(
  {
    target: targetSchema,
    kinds: s.array(s.string({ minLength: 1 }), { minItems: 1 }).describe('Instead of a target: delete every resource of these kinds matching labelSelector.'),
    labelSelector: s.string({ minLength: 1 }).describe('Label selector for kinds, e.g. app=web,track=canary.'),
    namespace: s.string().describe('Namespace for kinds + labelSelector. Default: the kubeconfig context\'s namespace.'),
    context: contextField,
    cascade: s.enum(Object.values(Cascade)).describe('What happens to dependents (e.g. a ReplicaSet\'s pods). Default: background.'),
    gracePeriodSeconds: s.number({ integer: true, min: 0 }).describe('Grace period for pods. Default: the object\'s own.'),
  },
  [],
  {
    validate: (v, p, ctx) => {
      if (v.kinds && v.target) ctx.issues.push({ path: [...p, 'kinds'], message: 'is set together with target; expected either a target or kinds + labelSelector' });
      else if (v.kinds && !v.labelSelector) ctx.issues.push({ path: [...p, 'labelSelector'], message: 'is required with kinds; expected a label selector such as app=web' });
      else if (!v.kinds && !v.target) ctx.issues.push({ path: [...p, 'target'], message: 'is required (or give kinds + labelSelector); expected the resource to delete' });
    },
  },
);

export type DeleteConfig = Infer<typeof schema>;

export const del: StageType<DeleteConfig> = {
  type: 'delete',
  description: 'Deletes a resource (static or dynamic target), or every resource of some kinds matching a label selector; absent ones are fine.',
  schema,
  outputs: { deleted: 'JSON list of what was deleted ("Kind namespace/name").', count: 'How many.' },
  async run(config: DeleteConfig, ctx: StageContext) {
    const kube = await ctx.kube(config.context);
    let refs: ObjectRef[];
    if (config.kinds) {
      refs = [];
      for (const k of config.kinds) {
        const kind = canonicalKind(k);
        const found = await kube.list(apiVersionOf(kind), kind, { namespace: config.namespace ?? kube.defaultNamespace, labelSelector: config.labelSelector, signal: ctx.signal });
        refs.push(...found.map(refOf));
      }
    } else {
      try {
        refs = [refOf((await resolveTarget(kube, config.target!, ctx.app, ctx.signal)).object)];
      } catch (e) {
        // A static target that is already gone is what delete wanted.
        if (!config.target!.strategy && e instanceof StageError && /does not exist$/.test(e.message)) {
          ctx.log.info(`${e.message}: nothing to delete`);
          return { outputs: { deleted: [], count: 0 } };
        }
        throw e;
      }
    }
    const deleted: string[] = [];
    for (const ref of refs) {
      const gone = await kube.delete(ref, {
        propagationPolicy: (config.cascade ?? 'background').replace(/^./, (c) => c.toUpperCase()),
        gracePeriodSeconds: config.gracePeriodSeconds,
        dryRun: ctx.dryRun,
        signal: ctx.signal,
      });
      if (gone) deleted.push(describeRef(ref));
      ctx.log.info(`${ctx.dryRun ? 'dry run: would delete' : gone ? 'deleted' : 'already gone:'} ${describeRef(ref)}`);
    }
    return { outputs: { deleted, count: deleted.length } };
  },
};
