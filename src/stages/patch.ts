import { s, type Infer } from '../config/schema.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import { PatchType } from '../kube/client.ts';
import { contextField, resolveTarget, targetSchema } from '../kube/target.ts';
import { DEFAULT_WAIT_MS, refOf, waitStable } from '../kube/operations.ts';
import { changedPaths } from '../kube/diff.ts';
import { WORKLOADS } from '../kube/kinds.ts';
import { targetOutputs, waitFields } from './kube-fields.ts';

const schema = s.object(
  {
    target: targetSchema,
    context: contextField,
    patch: s.any().describe('The patch: a mapping (strategic, merge) or a JSON Patch list (json).'),
    patchType: s.enum(Object.values(PatchType)).describe('How the patch is applied: strategic (Kubernetes strategic merge), merge (RFC 7386) or json (RFC 6902). Default: strategic.'),
    ...waitFields,
  },
  ['target', 'patch'],
  {
    validate: (v, p, ctx) => {
      const isList = Array.isArray(v.patch);
      if ((v.patchType ?? 'strategic') === 'json' ? !isList : isList || typeof v.patch !== 'object' || v.patch === null)
        ctx.issues.push({ path: [...p, 'patch'], message: `is ${isList ? 'a list' : typeof v.patch}; expected ${v.patchType === 'json' ? 'a JSON Patch list of operations' : 'a mapping'} for patchType ${v.patchType ?? 'strategic'}` });
    },
  },
);

export type PatchConfig = Infer<typeof schema>;

export const patch: StageType<PatchConfig> = {
  type: 'patch',
  description: 'Patches a resource (strategic, merge or JSON Patch), chosen statically or dynamically; waits until stable.',
  schema,
  outputs: { ...targetOutputs, changed: 'JSON list of the fields the patch changed.' },
  async run(config: PatchConfig, ctx: StageContext) {
    const kube = await ctx.kube(config.context);
    const target = await resolveTarget(kube, config.target, ctx.app, ctx.signal);
    const before = target.object;
    let after;
    try {
      after = await kube.patch(refOf(before), config.patch, config.patchType ?? 'strategic', { dryRun: ctx.dryRun, signal: ctx.signal });
    } catch (e) {
      throw new StageError(`patching ${target.description}: ${(e as Error).message}`);
    }
    const changed = changedPaths(before, after);
    ctx.log.info(`${ctx.dryRun ? 'dry run: would change' : 'patched'} ${target.description}: ${changed.join(', ') || 'no change'}`);
    if (!ctx.dryRun && config.wait !== false && WORKLOADS.has(before.kind))
      await waitStable(kube, [refOf(before)], { timeoutMs: config.waitTimeout ?? DEFAULT_WAIT_MS, signal: ctx.signal, log: ctx.log });
    return { outputs: { kind: before.kind, namespace: before.metadata.namespace ?? '', name: before.metadata.name, changed } };
  },
};

