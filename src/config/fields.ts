// Field schemas shared by the pipeline and every stage.
import { s, Schema, INVALID, type Path, type ParseContext, type JsonSchema, type Invalid } from './schema.ts';
import { parseDuration, DURATION_FORM } from './duration.ts';
import { parseExpression } from '../pipeline/expression.ts';

export const STAGE_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
export const STAGE_ID_TEXT = 'a stage id (letters, digits, - and _, starting with a letter or _)';

/** A duration in milliseconds, written as 90s, 5m, 1h30m or ISO-8601. */
export const duration = () =>
  s.map(
    s.union<string | number>(
      [
        s.string({ pattern: /^(?:(\d+(\.\d+)?)(ms|s|m|h|d))+$|^P[0-9DTHMS.]+$|^0$/, patternText: DURATION_FORM }),
        s.number({ min: 0, max: 0 }),
      ],
      DURATION_FORM,
    ),
    (v) => {
      const ms = parseDuration(String(v));
      return ms === undefined ? { error: `has the string ${JSON.stringify(v)}` } : ms;
    },
    DURATION_FORM,
  );

/** An expression in the condition language; its references are collected for checking. */
class ExpressionSchema extends Schema<string> {
  readonly expected = "an expression such as inputs.target == 'production'";
  protected check(value: unknown, path: Path, ctx: ParseContext): string | Invalid {
    if (typeof value === 'boolean') return String(value);
    if (typeof value !== 'string' || !value.trim()) return this.fail(ctx, path, value);
    try {
      const e = parseExpression(value);
      for (const ref of e.references)
        ctx.references?.push({ path, text: ref.text.slice(2, -1), ...(ref.kind === 'input' ? { input: ref.name } : { stage: ref.stage }) });
    } catch (err) {
      ctx.issues.push({ path, message: `is not a valid expression: ${(err as Error).message}` });
      return INVALID;
    }
    return value;
  }
  protected schema(): JsonSchema {
    return { type: ['string', 'boolean'] };
  }
}
export const expression = () => new ExpressionSchema();

/** The id of another stage, which must run before this one. */
class StageRefSchema extends Schema<string> {
  readonly expected = STAGE_ID_TEXT;
  protected check(value: unknown, path: Path, ctx: ParseContext): string | Invalid {
    if (typeof value !== 'string' || !STAGE_ID.test(value)) return this.fail(ctx, path, value);
    ctx.references?.push({ path, stage: value, text: value });
    return value;
  }
  protected schema(): JsonSchema {
    return { type: 'string', pattern: STAGE_ID.source };
  }
}
export const stageRef = () => new StageRefSchema();

/** A list that may also be written as one comma-separated string. */
export const stringList = () =>
  s.map(
    s.union<string | string[]>([s.array(s.string({ minLength: 1 })), s.string()], 'a list of strings or one comma-separated string'),
    (v) => (Array.isArray(v) ? v : v.split(',').map((x) => x.trim()).filter(Boolean)),
  );

export const httpUrl = () =>
  s.string({ pattern: /^https?:\/\/[^\s]+$|^\$\(/, patternText: 'an http:// or https:// URL' });
