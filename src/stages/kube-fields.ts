// Fields and helpers the Kubernetes stages share.
import { s } from '../config/schema.ts';
import { duration } from '../config/fields.ts';
import { DEFAULT_WAIT_MS } from '../kube/operations.ts';
import { formatDuration } from '../config/duration.ts';

export const waitFields = {
  wait: s.boolean().describe('Wait until the changed resources are stable. Default: true.'),
  waitTimeout: duration().describe(`How long to wait for stability before failing. Default: ${formatDuration(DEFAULT_WAIT_MS)}.`),
};

/** Kubernetes stage outputs every stage shares. */
export const targetOutputs = {
  kind: 'Kind of the resource acted on.',
  namespace: 'Its namespace.',
  name: 'Its name (the resolved one, for dynamic targets).',
};
