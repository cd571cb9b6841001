// When a resource counts as stable (Spinnaker's rules, clouddriver v2 provider), as a
// pure function of the object the API server returned.
import type { KubeObject } from './client.ts';

export const Stability = { Stable: 'stable', Unstable: 'unstable', Failed: 'failed' } as const;
export type Stability = (typeof Stability)[keyof typeof Stability];

export interface StabilityResult {
  state: Stability;
  /** Why, in a few words: "2/4 ready", "ProgressDeadlineExceeded: ...". */
  message: string;
}

const stable = (message = 'stable'): StabilityResult => ({ state: Stability.Stable, message });
const unstable = (message: string): StabilityResult => ({ state: Stability.Unstable, message });
const failed = (message: string): StabilityResult => ({ state: Stability.Failed, message });

type Condition = { type: string; status: string; reason?: string; message?: string };

function generationObserved(obj: KubeObject): StabilityResult | undefined {
  const gen = obj.metadata.generation;
  const seen = obj.status?.observedGeneration;
  if (gen !== undefined && (seen === undefined || seen < gen)) return unstable(`waiting for the controller to observe generation ${gen}`);
  return undefined;
}

export function stabilityOf(obj: KubeObject): StabilityResult {
  const s = obj.status ?? {};
  switch (obj.kind) {
    case 'Deployment': {
      const conds: Condition[] = s.conditions ?? [];
      const progressing = conds.find((c) => c.type === 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded')
        return failed(`ProgressDeadlineExceeded: ${progressing.message ?? 'the rollout made no progress in time'}`);
      const g = generationObserved(obj);
      if (g) return g;
      if (obj.spec?.paused) return stable('paused');
      const want = obj.spec?.replicas ?? 1;
      const updated = s.updatedReplicas ?? 0;
      const ready = s.readyReplicas ?? 0;
      const available = s.availableReplicas ?? 0;
      const total = s.replicas ?? 0;
      if (updated < want) return unstable(`${updated}/${want} updated`);
      if (total > updated) return unstable(`${total - updated} old replica(s) pending termination`);
      if (ready < want) return unstable(`${ready}/${want} ready`);
      if (available < want) return unstable(`${available}/${want} available`);
      return stable(`${ready}/${want} ready`);
    }
    case 'ReplicaSet': {
      const g = generationObserved(obj);
      if (g) return g;
      const want = obj.spec?.replicas ?? 1;
      const labeled = s.fullyLabeledReplicas ?? 0;
      const ready = s.readyReplicas ?? 0;
      const available = s.availableReplicas ?? 0;
      if (labeled < want) return unstable(`${labeled}/${want} fully labeled`);
      if (ready < want) return unstable(`${ready}/${want} ready`);
      if (available < want) return unstable(`${available}/${want} available`);
      return stable(`${ready}/${want} ready`);
    }
    case 'StatefulSet': {
      const g = generationObserved(obj);
      if (g) return g;
      const want = obj.spec?.replicas ?? 1;
      const ready = s.readyReplicas ?? 0;
      if (ready < want) return unstable(`${ready}/${want} ready`);
      const strategy = obj.spec?.updateStrategy;
      if (strategy?.type === 'OnDelete') return stable(`${ready}/${want} ready`);
      const partition = strategy?.rollingUpdate?.partition ?? 0;
      if (partition > 0) {
        const updated = s.updatedReplicas ?? 0;
        if (updated < want - partition) return unstable(`${updated}/${want - partition} updated (partition ${partition})`);
        return stable(`${ready}/${want} ready, partition ${partition}`);
      }
      if (s.updateRevision && s.currentRevision !== s.updateRevision) return unstable(`rolling out revision ${s.updateRevision}`);
      return stable(`${ready}/${want} ready`);
    }
    case 'DaemonSet': {
      const g = generationObserved(obj);
      if (g) return g;
      const want = s.desiredNumberScheduled ?? 0;
      for (const [field, label] of [
        ['currentNumberScheduled', 'scheduled'],
        ['updatedNumberScheduled', 'updated'],
        ['numberAvailable', 'available'],
        ['numberReady', 'ready'],
      ] as const) {
        if ((s[field] ?? 0) < want) return unstable(`${s[field] ?? 0}/${want} ${label}`);
      }
      return stable(`${s.numberReady ?? 0}/${want} ready`);
    }
    case 'Pod': {
      if (s.phase === 'Failed') return failed(`pod failed${s.reason ? `: ${s.reason}` : ''}`);
      if (s.phase === 'Running' || s.phase === 'Succeeded') return stable(s.phase.toLowerCase());
      return unstable(`phase ${s.phase ?? 'Pending'}`);
    }
    case 'Job': {
      const conds: Condition[] = s.conditions ?? [];
      const failure = conds.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failure) return failed(`job failed: ${failure.reason ?? ''}${failure.message ? ` ${failure.message}` : ''}`.trim());
      const want = obj.spec?.completions ?? 1;
      const done = s.succeeded ?? 0;
      if (done < want) return unstable(`${done}/${want} completions`);
      return stable(`${done}/${want} completions`);
    }
    default:
      return stable();
  }
}
