// A test reporter that records every test's file, name and result as JSON, for the
// RELIABILITY.md table (scripts/reliability/table.mjs). Used beside the spec reporter by
// `npm test`.
import path from 'node:path';

export default async function* reliabilityReporter(source) {
  const results = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.details?.type === 'suite' || !data.file) continue;
    results.push({ file: path.relative(process.cwd(), data.file), name: data.name, passed: event.type === 'test:pass' && !data.skip && !data.todo });
  }
  yield `${JSON.stringify(results, null, 1)}\n`;
}
