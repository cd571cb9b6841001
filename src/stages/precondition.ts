import { s, type Infer } from '../config/schema.ts';
import { expression, stageRef } from '../config/fields.ts';
import { truthy } from '../pipeline/expression.ts';
import { StageError, StageStatus, type StageContext, type StageType } from '../pipeline/types.ts';

const statuses = Object.values(StageStatus);

const schema = s.object(
  {
    stageStatus: s
      .array(
        s.object(
          {
            stage: stageRef().describe('An upstream stage.'),
            status: s.array(s.enum(statuses), { minItems: 1 }).describe('Accepted results. Default: [succeeded].'),
          },
          ['stage'],
        ),
        { minItems: 1 },
      )
      .describe('Go on only if each named stage ended with one of the named results (Spinnaker "Precondition (stage status)").'),
    expression: expression().describe("A condition over inputs and upstream outputs, e.g. inputs.choice == 'promote'."),
    message: s.string().describe('Text added to the failure message.'),
  },
  [],
  {
    validate: (v, path, ctx) => {
      if (!v.stageStatus && v.expression === undefined)
        ctx.issues.push({ path, message: 'has neither stageStatus nor expression; expected at least one of them' });
    },
  },
);

export type PreconditionConfig = Infer<typeof schema>;

export const precondition: StageType<PreconditionConfig> = {
  type: 'precondition',
  description: 'Goes on only when upstream stages ended as expected and/or an expression holds; fails otherwise.',
  schema,
  outputs: { result: 'true when every condition held.' },
  run,
};

async function run(config: PreconditionConfig, ctx: StageContext) {
  const failures: string[] = [];
  for (const cond of config.stageStatus ?? []) {
    const wanted = cond.status ?? [StageStatus.Succeeded];
    const actual = ctx.stageStatus(cond.stage);
    const ok = actual !== undefined && wanted.includes(actual);
    ctx.log.info(`stage ${cond.stage} ended ${actual ?? '(not run)'}; wanted ${wanted.join(' or ')}: ${ok ? 'yes' : 'no'}`);
    if (!ok) failures.push(`stage ${cond.stage} ended ${actual ?? 'without running'}, expected ${wanted.join(' or ')}`);
  }
  if (config.expression !== undefined) {
    const { value, seen } = ctx.evaluate(config.expression);
    const values = seen.map((x) => `${x.text} = ${JSON.stringify(x.value) ?? 'undefined'}`).join(', ');
    ctx.log.info(`${config.expression} → ${JSON.stringify(value)}${values ? ` (${values})` : ''}`);
    if (!truthy(value)) failures.push(`${config.expression} is false${values ? ` (${values})` : ''}`);
  }
  if (failures.length) {
    throw new StageError(`Precondition failed: ${failures.join('; ')}${config.message ? `. ${config.message}` : ''}`);
  }
  return { outputs: { result: true } };
}
