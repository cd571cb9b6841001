import { s, type Infer } from '../config/schema.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { contextField, resolveTarget, targetSchema } from '../kube/target.ts';
import { DEFAULT_WAIT_MS, refOf, waitStable } from '../kube/operations.ts';
import { UNDOABLE, canonicalKind } from '../kube/kinds.ts';
import { targetOutputs, waitFields } from './kube-fields.ts';

const schema = s.object(
  {
    target: targetSchema,
    context: contextField,
    revisionsBack: s.number({ integer: true, min: 1 }).describe('How many revisions to go back. Default: 1.'),
    toRevision: s.number({ integer: true, min: 1 }).describe('Roll back to exactly this revision instead.'),
    ...waitFields,
  },
  ['target'],
  {
    validate: (v, p, ctx) => {
      if (!UNDOABLE.has(canonicalKind(v.target.kind)))
        ctx.issues.push({ path: [...p, 'target', 'kind'], message: `is ${JSON.stringify(v.target.kind)}; expected a kind with rollout history: ${[...UNDOABLE].join(', ')}` });
      if (v.revisionsBack !== undefined && v.toRevision !== undefined) ctx.issues.push({ path: [...p, 'toRevision'], message: 'is set together with revisionsBack; expected one of them' });
    },
  },
);

export type RolloutUndoConfig = Infer<typeof schema>;

interface Revision {
  revision: number;
  /** What restores it: the pod template (Deployment) or the revision's own strategic patch. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  template?: any;
  data?: unknown;
}

/** A workload's revisions, oldest first: ReplicaSets for a Deployment, ControllerRevisions otherwise. */
async function revisionsOf(kube: KubeClient, w: KubeObject, signal: AbortSignal): Promise<Revision[]> {
  const owned = (o: KubeObject) => o.metadata.ownerReferences?.some((r) => r.uid === w.metadata.uid);
  if (w.kind === 'Deployment') {
    const rss = (await kube.list('apps/v1', 'ReplicaSet', { namespace: w.metadata.namespace, signal })).filter(owned);
    return rss
      .map((rs) => {
        const template = structuredClone(rs.spec.template);
        delete template.metadata?.labels?.['pod-template-hash'];
        return { revision: Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0), template };
      })
      .sort((a, b) => a.revision - b.revision);
  }
  const crs = (await kube.list('apps/v1', 'ControllerRevision', { namespace: w.metadata.namespace, signal })).filter(owned);
  return crs
    .map((cr) => ({ revision: Number((cr as { revision?: number }).revision ?? 0), data: (cr as { data?: unknown }).data }))
    .sort((a, b) => a.revision - b.revision);
}

export const rolloutUndo: StageType<RolloutUndoConfig> = {
  type: 'rollout-undo',
  description: 'Rolls a Deployment, StatefulSet or DaemonSet back to an earlier revision; waits until stable.',
  schema,
  outputs: { ...targetOutputs, fromRevision: 'The revision it was at.', toRevision: 'The revision restored.' },
  async run(config: RolloutUndoConfig, ctx: StageContext) {
    const kube = await ctx.kube(config.context);
    const target = await resolveTarget(kube, config.target, ctx.app, ctx.signal);
    const revisions = await revisionsOf(kube, target.object, ctx.signal);
    const current = revisions.at(-1);
    let chosen: Revision | undefined;
    if (config.toRevision !== undefined) {
      chosen = revisions.find((r) => r.revision === config.toRevision);
      if (!chosen) throw new StageError(`${target.description} has no revision ${config.toRevision}; it has ${revisions.map((r) => r.revision).join(', ') || 'none'}`);
    } else {
      const back = config.revisionsBack ?? 1;
      // Spinnaker: revisions sorted ascending, pick n − revisionsBack − 1.
      chosen = revisions[revisions.length - back - 1];
      if (!chosen) throw new StageError(`there are ${revisions.length} revision(s) of ${target.description}, cannot roll back ${back}`);
    }
    if (!chosen.template && !chosen.data) throw new StageError(`revision ${chosen.revision} of ${target.description} has no pod template to restore`);
    // As kubectl does: replace a Deployment's template; apply a ControllerRevision's own patch.
    const opts = { dryRun: ctx.dryRun, signal: ctx.signal };
    if (chosen.template) await kube.patch(refOf(target.object), [{ op: 'replace', path: '/spec/template', value: chosen.template }], 'json', opts);
    else await kube.patch(refOf(target.object), chosen.data, 'strategic', opts);
    ctx.log.info(`${ctx.dryRun ? 'dry run: would roll' : 'rolled'} ${target.description} back from revision ${current?.revision} to ${chosen.revision}`);
    if (!ctx.dryRun && config.wait !== false)
      await waitStable(kube, [refOf(target.object)], { timeoutMs: config.waitTimeout ?? DEFAULT_WAIT_MS, signal: ctx.signal, log: ctx.log });
    const o = target.object;
    return { outputs: { kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name, fromRevision: current?.revision ?? 0, toRevision: chosen.revision } };
  },
};

