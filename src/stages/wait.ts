import { s, type Infer } from '../config/schema.ts';
import { duration } from '../config/fields.ts';
import { formatDuration } from '../config/duration.ts';
import type { StageContext, StageType } from '../pipeline/types.ts';
import { sleep } from '../util/sleep.ts';

const schema = s.object({ duration: duration().describe('How long to wait.') }, ['duration']);

export type WaitConfig = Infer<typeof schema>;

export const wait: StageType<WaitConfig> = {
  type: 'wait',
  description: 'Waits for a duration (cancellable).',
  schema,
  outputs: { waitedMs: 'Milliseconds waited.' },
  async run(config: WaitConfig, ctx: StageContext) {
    ctx.log.info(`Waiting ${formatDuration(config.duration)}`);
    if (!ctx.dryRun) await sleep(config.duration, ctx.signal);
    return { outputs: { waitedMs: ctx.dryRun ? 0 : config.duration } };
  },
};
