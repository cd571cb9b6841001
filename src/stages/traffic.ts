// disable and enable: take a workload's pods out of its load balancers, or put them back
// (Spinnaker's semantics: the Services' selector labels are removed from, or added to,
// the pod template and every running pod), then wait for the endpoints to follow.
import { s, type Infer } from '../config/schema.ts';
import { duration } from '../config/fields.ts';
import type { StageContext, StageType } from '../pipeline/types.ts';
import { contextField, resolveTarget, targetSchema } from '../kube/target.ts';
import { setTrafficMembership, waitEndpoints } from '../kube/operations.ts';
import { targetOutputs } from './kube-fields.ts';

const schema = s.object(
  {
    target: targetSchema,
    context: contextField,
    waitForEndpoints: s.boolean().describe("Wait until the Services' endpoints reflect the change. Default: true."),
    endpointsTimeout: duration().describe('How long to wait for the endpoints. Default: 2m.'),
  },
  ['target'],
);

export type TrafficConfig = Infer<typeof schema>;

function trafficStage(enable: boolean): StageType<TrafficConfig> {
  return {
    type: enable ? 'enable' : 'disable',
    description: enable
      ? "Sends a workload traffic again: adds its load balancers' selector labels to its pod template and running pods."
      : "Stops sending a workload traffic, keeping it running: removes its load balancers' selector labels from its pod template and running pods.",
    schema,
    outputs: { ...targetOutputs, services: 'JSON list of the load balancer Services.', pods: 'JSON list of the pods moved.' },
    async run(config: TrafficConfig, ctx: StageContext) {
      const kube = await ctx.kube(config.context);
      const target = await resolveTarget(kube, config.target, ctx.app, ctx.signal);
      const o = target.object;
      const { services, pods } = await setTrafficMembership(kube, o, enable, { signal: ctx.signal, log: ctx.log, dryRun: ctx.dryRun });
      if (!ctx.dryRun && config.waitForEndpoints !== false && pods.length)
        await waitEndpoints(kube, o.metadata.namespace ?? kube.defaultNamespace, services, pods, enable, {
          timeoutMs: config.endpointsTimeout ?? 120_000,
          signal: ctx.signal,
          log: ctx.log,
        });
      return { outputs: { kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name, services, pods } };
    },
  };
}

export const disable = trafficStage(false);
export const enable = trafficStage(true);
