// RELIABILITY.md from the catalogue and the results of a test run: `npm test` records the
// results (reporter.mjs) and then checks that RELIABILITY.md is what this renders, so the
// table is kept current by the tests. `node scripts/reliability/table.mjs --write RESULTS`
// rewrites it after tests were added or removed.
import { readFileSync, writeFileSync } from 'node:fs';
import { CLASSES } from './catalogue.mjs';

export const FILE = 'RELIABILITY.md';

export function render(results) {
  const problems = [];
  const rows = CLASSES.map((c) => {
    let cases = 0;
    let passed = 0;
    const units = [];
    const files = [];
    for (const t of c.tests) {
      const ran = results.filter((r) => r.file === t.file && (!t.match || t.match.test(r.name)));
      if (!ran.length) problems.push(`${c.fault}: no test in ${t.file}${t.match ? ` matches ${t.match}` : ''}`);
      cases += ran.length;
      passed += ran.filter((r) => r.passed).length;
      if (t.unit) units.push(t.unit(readFileSync(t.file, 'utf8')));
      files.push(`[${t.file.replace(/^test\//, '')}](${t.file})`);
    }
    const count = `${cases} test${cases === 1 ? '' : 's'}${units.map((u) => `, ${u.count.toLocaleString('en-US')} ${u.what}`).join('')}`;
    const result = passed === cases ? `pass (${passed}/${cases})` : `**FAIL** (${cases - passed} of ${cases})`;
    return `| ${c.area} | ${c.fault} | ${count} | ${c.expected} | ${result} | ${files.join('<br>')} |`;
  });
  const text = `# Reliability

What rollgate does when things go wrong, and the tests that prove it. Faults are real: the
tests kill and restart real processes (Prometheus, a kube-apiserver), send real signals to
the action's process, and run against the local environment (README, "Development"). GitHub
and Jenkins, which cannot run here, are played by local servers that check every request
against the published API contract.

This table is generated from the test run: \`npm test\` counts the cases of each class and
fails when this file no longer matches (after tests were added or removed, rewrite it with
\`node scripts/reliability/table.mjs --write .testenv/test-results.json\`). A failing case
fails \`npm test\` itself, so the table of a green run says pass.

| Area | Fault or bad input | Cases | Expected behaviour | Result | Tests |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
  return { text, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const write = process.argv.includes('--write');
  const resultsFile = process.argv.filter((a) => !a.startsWith('--')).at(2) ?? '.testenv/test-results.json';
  const { text, problems } = render(JSON.parse(readFileSync(resultsFile, 'utf8')));
  for (const p of problems) console.error(`reliability: ${p}`);
  if (write) {
    writeFileSync(FILE, text);
    console.log(`wrote ${FILE}`);
  } else {
    let current = '';
    try {
      current = readFileSync(FILE, 'utf8');
    } catch {}
    if (current !== text) {
      console.error(`${FILE} does not match this test run; rewrite it with: node scripts/reliability/table.mjs --write ${resultsFile}`);
      process.exit(1);
    }
    console.log(`${FILE} matches this test run`);
  }
  if (problems.length) process.exit(1);
}
