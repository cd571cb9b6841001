// PromQL query templates: `${name}` is replaced by a variable's value (`$${` writes a literal
// `${`). Kayenta substitutes values as they are, so a scope containing a quote rewrites the
// query. Ours makes every value safe for the place it lands in:
//
// - inside a "…" or '…' string: backslash, the enclosing quote and control characters are
//   escaped, so the value stays one string (PromQL decodes it back to the exact value);
//   when the string is the operand of =~ or !~, regex metacharacters are escaped too, so the
//   value matches itself only;
// - inside a `…` raw string, which has no escapes: a backtick is refused;
// - outside any string (a metric name, a label name, a range such as [${window}]): only
//   letters, digits, _, : and . are accepted — nothing that can start a new token of
//   another kind, end a selector, open a comment or form an operator.
//
// A value that cannot be made safe, or an unknown variable, is an error naming the metric.

export class QueryTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryTemplateError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BARE_VALUE = /^[A-Za-z0-9_:.]+$/;
const REGEX_META = /[\\.+*?()|[\]{}^$]/g;

type Context = 'bare' | 'comment' | 'double' | 'single' | 'raw';

interface Piece {
  text?: string;
  variable?: string;
  context?: Context;
  regex?: boolean;
}

/** The variables a template uses, each once, in order of first use. */
export function templateVariables(template: string): string[] {
  const names: string[] = [];
  for (const p of parse(template)) if (p.variable !== undefined && !names.includes(p.variable)) names.push(p.variable);
  return names;
}

/** The query for one metric with every variable substituted safely. */
export function renderQuery(template: string, vars: Record<string, string>, metricName: string): string {
  let pieces: Piece[];
  try {
    pieces = parse(template);
  } catch (e) {
    throw new QueryTemplateError(`metric "${metricName}": ${(e as Error).message}`);
  }
  let out = '';
  for (const p of pieces) {
    if (p.variable === undefined) {
      out += p.text;
      continue;
    }
    if (!Object.hasOwn(vars, p.variable)) {
      const known = Object.keys(vars).sort();
      throw new QueryTemplateError(
        `metric "${metricName}": the query uses \${${p.variable}}, which is not defined; defined variables: ${known.join(', ') || '(none)'}. Define it in the stage's scope variables or remove it from the query`,
      );
    }
    out += substitute(vars[p.variable]!, p, metricName);
  }
  return out;
}

function substitute(value: string, p: Piece, metricName: string): string {
  const refuse = (why: string) =>
    new QueryTemplateError(`metric "${metricName}": the value ${JSON.stringify(value)} of \${${p.variable}} ${why}`);
  switch (p.context) {
    case 'double':
    case 'single':
      return escapeString(p.regex ? value.replace(REGEX_META, '\\$&') : value, p.context === 'double' ? '"' : "'");
    case 'raw':
      if (value.includes('`')) throw refuse('contains a backtick, which cannot be written inside a `…` string; quote the variable with "…" in the query');
      return p.regex ? value.replace(REGEX_META, '\\$&') : value;
    default:
      if (!BARE_VALUE.test(value)) {
        throw refuse('stands outside quotes in the query, where only letters, digits, _, : and . are allowed; put the variable inside "…" (for a label value) or use a simpler value');
      }
      return value;
  }
}

function escapeString(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Splits a template into text and variables, noting whether each variable sits in a string. */
function parse(template: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  let context: Context = 'bare';
  let regex = false;
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '$' && template.startsWith('$${', i)) {
      text += '${';
      i += 3;
      continue;
    }
    if (ch === '$' && template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      const name = end < 0 ? '' : template.slice(i + 2, end);
      if (end < 0 || !NAME.test(name)) {
        const shown = template.slice(i, end < 0 ? i + 20 : end + 1);
        throw new Error(`the query has ${JSON.stringify(shown)} at character ${i + 1}, which is not a variable; expected \${name} with a name of letters, digits and _ (write $\${ for a literal \${)`);
      }
      if (text) pieces.push({ text });
      text = '';
      pieces.push({ variable: name, context, regex });
      i = end + 1;
      continue;
    }
    text += ch;
    if (context === 'comment') {
      if (ch === '\n') context = 'bare';
    } else if (context === 'bare') {
      // Quotes inside a # comment open nothing.
      if (ch === '#') context = 'comment';
      else if (ch === '"' || ch === "'" || ch === '`') {
        context = ch === '"' ? 'double' : ch === "'" ? 'single' : 'raw';
        // A string right after =~ or !~ is a regular expression.
        regex = /[=!]~\s*$/.test(template.slice(0, i));
      }
    } else if (context !== 'raw' && ch === '\\' && i + 1 < template.length) {
      text += template[i + 1];
      i++;
    } else if ((context === 'double' && ch === '"') || (context === 'single' && ch === "'") || (context === 'raw' && ch === '`')) {
      context = 'bare';
    } else if (context !== 'raw' && ch === '\n') {
      throw new Error(`the query has a line break inside a quoted string at character ${i + 1}; PromQL strings end on the same line`);
    }
    i++;
  }
  if (context !== 'bare' && context !== 'comment') throw new Error('the query has a string that is never closed; expected a matching quote');
  if (text) pieces.push({ text });
  return pieces;
}
