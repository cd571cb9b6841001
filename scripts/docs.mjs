// Generates what must never drift from the code: the published JSON Schema of pipeline
// files, and the README's tables (action inputs/outputs from action.yml, stage fields
// and outputs from the stage registry). `--check` fails when a file is not current.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { parse } from 'yaml';
import path from 'node:path';
import { pipelineSchema, stageSchema } from '../src/config/pipeline.ts';
import { stageTypes } from '../src/stages/registry.ts';
import { canaryConfigSchema } from '../src/canary/config.ts';
import { metricStoreSchema } from '../src/metrics/store.ts';

const check = process.argv.includes('--check');
const stale = [];

function emit(file, text) {
  let old = '';
  try {
    old = readFileSync(file, 'utf8');
  } catch {}
  if (old === text) return;
  if (check) stale.push(file);
  else {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

const json = (schema, id, title) =>
  JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', $id: id, title, ...schema.json() }, null, 2) + '\n';
emit('schema/pipeline.schema.json', json(pipelineSchema(stageTypes), 'https://rollgate.dev/schema/pipeline.schema.json', 'rollgate pipeline'));
emit('schema/stage.schema.json', json(stageSchema(stageTypes), 'https://rollgate.dev/schema/stage.schema.json', 'rollgate stage'));
emit('schema/canary-config.schema.json', json(canaryConfigSchema, 'https://rollgate.dev/schema/canary-config.schema.json', 'rollgate canary config'));

const cell = (t) => String(t ?? '').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n+/g, ' ').trim();
const action = parse(readFileSync('action.yml', 'utf8'));
const inputs = [
  '| Input | Required | Default | Description |',
  '| --- | --- | --- | --- |',
  ...Object.entries(action.inputs).map(([k, v]) => `| \`${k}\` | ${v.required ? 'yes' : 'no'} | ${v.default !== undefined ? `\`${v.default}\`` : ''} | ${cell(v.description)} |`),
].join('\n');
const outputs = [
  '| Output | Description |',
  '| --- | --- |',
  ...Object.entries(action.outputs).map(([k, v]) => `| \`${k}\` | ${cell(v.description)} |`),
  '| `<stage-id>-status` | Each stage\'s status: `succeeded`, `failed`, `failed-continue`, `skipped` or `cancelled`. |',
  '| `<stage-id>-<output>` | Each stage output (see the stage reference), e.g. `notify-statusCode`; objects as JSON. Values over 64 KiB, or past this step\'s 512 KiB share of the 1 MB job limit, go to `.rollgate/outputs/<name>.txt` and the output holds the path. |',
].join('\n');

const typeOf = (j) => {
  if (j.enum) return j.enum.map((e) => `\`${e}\``).join(' | ');
  if (j.pattern && j.pattern.includes('ms|s|m|h|d')) return 'duration';
  if (j.type === 'object' && j.additionalProperties && typeof j.additionalProperties === 'object') return `mapping of names to ${typeOf(j.additionalProperties)}`;
  if (j.anyOf) return [...new Set(j.anyOf.map(typeOf))].filter((x, i, a) => !(x === 'number' && a.includes('duration'))).join(' or ');
  if (Array.isArray(j.type)) return j.type.join(' or ');
  if (j.type === 'array') return `list of ${j.items ? typeOf(j.items) : 'values'}`;
  if (j.type === 'object' && j.properties) return `mapping (${Object.keys(j.properties).map((k) => `\`${k}\``).join(', ')})`;
  return j.type ?? 'any';
};
const stages = Object.values(stageTypes)
  .map((t) => {
    const j = t.schema.json();
    const rows = Object.entries(j.properties).map(
      ([k, v]) => `| \`${k}\` | ${(j.required ?? []).includes(k) ? 'yes' : 'no'} | ${cell(typeOf(v))} | ${cell(v.description)} |`,
    );
    const outs = Object.entries(t.outputs).map(([k, v]) => `| \`${k}\` | ${cell(v)} |`);
    return [`#### \`${t.type}\``, '', t.description, '', '| Field | Required | Type | Description |', '| --- | --- | --- | --- |', ...rows, '', '| Output | Description |', '| --- | --- |', ...outs].join('\n');
  })
  .join('\n\n');
const common = (() => {
  const j = stageSchema(stageTypes).json().allOf[0].then;
  const own = new Set(Object.keys(stageTypes[Object.keys(stageTypes)[0]].schema.json().properties));
  return [
    '| Field | Required | Type | Description |',
    '| --- | --- | --- | --- |',
    ...Object.entries(j.properties)
      .filter(([k]) => !own.has(k))
      .map(([k, v]) => `| \`${k}\` | ${['id', 'type'].includes(k) ? 'yes' : 'no'} | ${cell(k === 'type' ? 'stage type' : typeOf(v))} | ${cell(k === 'type' ? 'One of the stage types below.' : v.description)} |`),
  ].join('\n');
})();

const fieldTable = (j, skip = []) =>
  [
    '| Field | Required | Type | Description |',
    '| --- | --- | --- | --- |',
    ...Object.entries(j.properties)
      .filter(([k]) => !skip.includes(k))
      .map(([k, v]) => `| \`${k}\` | ${(j.required ?? []).includes(k) ? 'yes' : 'no'} | ${cell(typeOf(v))} | ${cell(v.description)} |`),
  ].join('\n');
const canaryJson = canaryConfigSchema.json();
const metricJson = canaryJson.properties.metrics.items;
const canary = [
  '**Canary config file**', '', fieldTable(canaryJson), '',
  '**Each metric** (`metrics[]`)', '', fieldTable(metricJson), '',
  '**effectSize**', '', fieldTable(metricJson.properties.effectSize), '',
  '**Metric store** (`metricStores.<name>`, or inline in `metricStore`)', '', fieldTable(metricStoreSchema.json()),
].join('\n');

let readme = readFileSync('README.md', 'utf8');
for (const [name, body] of Object.entries({ inputs, outputs, stages, common, canary })) {
  const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
  if (!re.test(readme)) throw new Error(`README.md lacks the markers <!-- generated:${name} --> ... <!-- /generated:${name} -->`);
  readme = readme.replace(re, `$1${body}\n$2`);
}
emit('README.md', readme);

if (stale.length) {
  console.error(`Not current: ${stale.join(', ')}. Run \`npm run docs\` and commit the result.`);
  process.exit(1);
}
