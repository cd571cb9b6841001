import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { renderQuery, templateVariables, QueryTemplateError } from '../../src/canary/query.ts';

const INJECTION = 'x"} or vector(1) or {a="';

/**
 * Reads a query the way PromQL's lexer does: each quoted string becomes <S> in the skeleton
 * and its decoded value is collected, so a test can see both the query's structure and the
 * exact label values it selects.
 */
function lex(query: string): { skeleton: string; strings: string[] } {
  let skeleton = '';
  const strings: string[] = [];
  for (let i = 0; i < query.length; i++) {
    const q = query[i]!;
    if (q !== '"' && q !== "'" && q !== '`') {
      skeleton += q;
      continue;
    }
    let value = '';
    for (i++; query[i] !== q; i++) {
      assert.ok(i < query.length, 'string not closed');
      let ch = query[i]!;
      if (q !== '`' && ch === '\\') {
        ch = query[++i]!;
        const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };
        if (ch === 'x') {
          value += String.fromCharCode(parseInt(query.slice(i + 1, i + 3), 16));
          i += 2;
          continue;
        }
        assert.ok(ch in simple && (ch !== "'" || q === "'") && (ch !== '"' || q === '"'), `invalid escape \\${ch}`);
        ch = simple[ch]!;
      }
      value += ch;
    }
    skeleton += '<S>';
    strings.push(value);
  }
  return { skeleton, strings };
}

describe('query templates', () => {
  const template = 'sum(rate(http_requests_total{app="${scope}", region="${location}", code=~"5.."}[${window}]))';

  test('variables are listed in order of first use', () => {
    assert.deepEqual(templateVariables(template), ['scope', 'location', 'window']);
    assert.deepEqual(templateVariables('a{x="${a}"} / b{x="${a}", y="${b}"}'), ['a', 'b']);
    assert.deepEqual(templateVariables('up'), []);
  });

  test('values are substituted', () => {
    assert.equal(
      renderQuery(template, { scope: 'checkout-canary', location: 'eu-west-1', window: '5m' }, 'errors'),
      'sum(rate(http_requests_total{app="checkout-canary", region="eu-west-1", code=~"5.."}[5m]))',
    );
  });

  test('an injected quote cannot close the label value: the query still selects exactly that value', () => {
    const query = renderQuery(template, { scope: INJECTION, location: 'eu', window: '1m' }, 'errors');
    assert.equal(query, 'sum(rate(http_requests_total{app="x\\"} or vector(1) or {a=\\"", region="eu", code=~"5.."}[1m]))');
    const { skeleton, strings } = lex(query);
    assert.equal(skeleton, 'sum(rate(http_requests_total{app=<S>, region=<S>, code=~<S>}[1m]))');
    assert.deepEqual(strings, [INJECTION, 'eu', '5..']);
  });

  test('backslashes, newlines and control characters stay inside the string', () => {
    const nasty = 'a\\"\n}\t\u0001\'';
    for (const t of ['up{app="${scope}"}', "up{app='${scope}'}"]) {
      const { skeleton, strings } = lex(renderQuery(t, { scope: nasty }, 'm'));
      assert.equal(skeleton, 'up{app=<S>}');
      assert.deepEqual(strings, [nasty]);
    }
  });

  test('after =~ or !~ the value is a literal, so it matches itself only', () => {
    const query = renderQuery('up{app=~"${scope}|other", pod!~ "${pod}"}', { scope: 'a.b(c)*', pod: 'x+' }, 'm');
    const { strings } = lex(query);
    assert.deepEqual(strings, ['a\\.b\\(c\\)\\*|other', 'x\\+']);
    assert.ok(new RegExp(`^(?:${strings[0]})$`).test('a.b(c)*'));
    assert.ok(!new RegExp(`^(?:${strings[0]})$`).test('aXb(c)'));
  });

  test('outside quotes only simple tokens are accepted: the injection string is refused', () => {
    assert.equal(renderQuery('sum by (${label}) (rate(x[${window}]))', { label: 'pod', window: '30s' }, 'm'), 'sum by (pod) (rate(x[30s]))');
    assert.throws(
      () => renderQuery('sum by (${scope}) (up)', { scope: INJECTION }, 'errors'),
      (e: unknown) =>
        e instanceof QueryTemplateError &&
        e.message ===
          `metric "errors": the value ${JSON.stringify(INJECTION)} of \${scope} stands outside quotes in the query, where only letters, digits, _, : and . are allowed; put the variable inside "…" (for a label value) or use a simpler value`,
    );
    for (const bad of ['a b', 'a-b', 'x#', 'a)', '', 'a,b']) assert.throws(() => renderQuery('up[${w}]', { w: bad }, 'm'), QueryTemplateError, bad);
  });

  test('a raw `…` string refuses a backtick and keeps everything else', () => {
    assert.equal(renderQuery('up{app=`${scope}`}', { scope: 'a"b\\' }, 'm'), 'up{app=`a"b\\`}');
    assert.throws(() => renderQuery('up{app=`${scope}`}', { scope: 'a`b' }, 'm'), /contains a backtick/);
  });

  test('an unknown variable is an error naming the metric, the variable and the defined ones', () => {
    assert.throws(
      () => renderQuery(template, { scope: 'a', location: 'b' }, 'errors'),
      (e: unknown) =>
        e instanceof QueryTemplateError &&
        e.message === 'metric "errors": the query uses ${window}, which is not defined; defined variables: location, scope. Define it in the stage\'s scope variables or remove it from the query',
    );
    assert.throws(() => renderQuery('up{a="${toString}"}', {}, 'm'), /uses \$\{toString\}, which is not defined; defined variables: \(none\)/);
  });

  test('malformed templates are refused; $${ writes a literal ${; quotes in comments open nothing', () => {
    assert.throws(() => renderQuery('up{a="${scope"}', { scope: 'x' }, 'm'), /metric "m": the query has "\$\{scope\\"\}" at character 7, which is not a variable; expected \$\{name\}/);
    assert.throws(() => templateVariables('up{a="${1x}"}'), /which is not a variable/);
    assert.throws(() => templateVariables('up{a="x}'), /string that is never closed/);
    assert.equal(renderQuery('up{a="$${scope}"}', {}, 'm'), 'up{a="${scope}"}');
    assert.equal(renderQuery("up # don't\n+ x{a=\"${s}\"}", { s: 'v' }, 'm'), "up # don't\n+ x{a=\"v\"}");
  });
});
