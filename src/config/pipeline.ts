import { s, INVALID, type Issue, type ParseContext, type Path, type FoundReference, type ObjectSchema } from './schema.ts';
import { duration, expression, stageRef, STAGE_ID, STAGE_ID_TEXT } from './fields.ts';
import { loadYaml, type LoadedYaml } from './yaml.ts';
import { ConfigError, type Problem } from './errors.ts';
import { artifactMatchSchema, type ArtifactMatch } from '../pipeline/artifacts.ts';
import { FailurePolicy } from '../pipeline/types.ts';
import { findReferences, walkStrings } from '../pipeline/references.ts';
import type { Registry } from '../stages/registry.ts';
import { metricStoreSchema, type MetricStoreConfig } from '../metrics/store.ts';

export const COMMON_STAGE_KEYS = [
  'id',
  'type',
  'name',
  'dependsOn',
  'when',
  'timeout',
  'onFailure',
  'requiredArtifacts',
  'onMissingArtifacts',
  'producedArtifacts',
] as const;

const commonStageShape = (types: string[]) => ({
  id: s.string({ pattern: STAGE_ID, patternText: STAGE_ID_TEXT }).describe('Unique id; outputs appear as <id>-<name>.'),
  type: s.enum(types).describe('The stage type.'),
  name: s.string().describe('A human name for logs and the summary.'),
  dependsOn: s.array(stageRef()).describe('Stages that must finish first. Stages without a path between them run in parallel.'),
  when: expression().describe('Run only when this condition holds; otherwise the stage is skipped and downstream stages still run.'),
  timeout: duration().describe('Fail the stage when it runs longer than this.'),
  onFailure: s.enum(Object.values(FailurePolicy)).describe('What a failure of this stage does. Default: fail-pipeline.'),
  requiredArtifacts: s.array(artifactMatchSchema).describe('Start condition: artifacts that must be available before the stage starts.'),
  onMissingArtifacts: s.enum(['fail', 'skip'] as const).describe('What happens when a required artifact is missing. Default: fail.'),
  producedArtifacts: s.array(artifactMatchSchema).describe('End condition: which of the stage\'s products become artifacts; each must be produced, or the stage fails.'),
});

const inputDecl = s.object({
  description: s.string(),
  required: s.boolean().describe('The run fails before any stage when the input is not given. Default: false.'),
  default: s.any().describe('Value when the input is not given.'),
  options: s.array(s.string(), { minItems: 1 }).describe('Allowed values.'),
});

export function stageSchema(registry: Registry) {
  const types = Object.keys(registry);
  const variants: Record<string, ObjectSchema<never, never>> = {};
  for (const [name, t] of Object.entries(registry)) {
    variants[name] = (t.schema as ObjectSchema<never, never>).extend(
      { ...commonStageShape(types), type: s.enum([name]).describe(t.description) },
      ['id', 'type'],
    ) as never;
  }
  return s.tagged<Record<string, unknown>>('type', variants as never);
}

export function pipelineSchema(registry: Registry) {
  return s.object(
    {
      name: s.string({ minLength: 1 }).describe('Name of the pipeline.'),
      application: s
        .string({ pattern: /^[a-z0-9][a-z0-9.-]{0,62}$/, patternText: 'a lower-case name (letters, digits, . and -)' })
        .describe('Spinnaker application (moniker) of what this pipeline deploys: written on every resource and used by dynamic targets. Default: the pipeline name.'),
      description: s.string(),
      inputs: s.record(inputDecl, { pattern: /^[A-Za-z_][\w-]*$/, text: 'an input name' }).describe('Pipeline inputs, referenced as $(inputs.NAME).'),
      timeout: duration().describe('Fail the whole run when it takes longer than this.'),
      metricStores: s.record(metricStoreSchema, { pattern: /^[A-Za-z_][\w-]*$/, text: 'a metric store name' }).describe('Metric stores (Prometheus endpoints) that canary-analysis stages name in metricStore.'),
      stages: s.array(stageSchema(registry), { minItems: 1 }).describe('The stages, a DAG through dependsOn.'),
    },
    ['name', 'stages'],
  );
}

export interface InputDecl {
  description?: string;
  required?: boolean;
  default?: unknown;
  options?: string[];
}

export interface StageSpec {
  id: string;
  type: string;
  name?: string;
  dependsOn: string[];
  when?: string;
  timeoutMs?: number;
  onFailure: FailurePolicy;
  requiredArtifacts: ArtifactMatch[];
  onMissingArtifacts: 'fail' | 'skip';
  producedArtifacts?: ArtifactMatch[];
  /** The stage's own fields, references not yet resolved. */
  fields: Record<string, unknown>;
  /** Path of the stage inside its source, for error locations. */
  path: Path;
  line?: number;
}

export interface Pipeline {
  name: string;
  /** Moniker application of what the pipeline deploys; default: the pipeline name. */
  application: string;
  description?: string;
  source: string;
  /** Inputs are declared (and checked) in pipeline files; an inline stage takes any. */
  inputs: Record<string, InputDecl> | undefined;
  timeoutMs?: number;
  stages: StageSpec[];
  metricStores: Record<string, MetricStoreConfig>;
  locate: LoadedYaml['locate'];
}

export function loadPipeline(text: string, source: string, registry: Registry): Pipeline {
  const doc = loadYaml(text, source);
  const ctx: ParseContext = { issues: [], deferReferences: true, references: [] };
  const parsed = pipelineSchema(registry).parse(doc.value ?? null, [], ctx);
  if (parsed === INVALID) throw problems(doc, ctx.issues);
  const rawStages = (doc.value as { stages: Record<string, unknown>[] }).stages;
  const stages = parsed.stages.map((st, i) => toSpec(st, rawStages[i]!, ['stages', i], doc));
  const pipeline: Pipeline = {
    name: parsed.name,
    application: parsed.application ?? parsed.name,
    description: parsed.description,
    source,
    inputs: (parsed.inputs ?? {}) as Record<string, InputDecl>,
    timeoutMs: parsed.timeout,
    stages,
    metricStores: (parsed.metricStores ?? {}) as Record<string, MetricStoreConfig>,
    locate: doc.locate,
  };
  checkGraph(pipeline, ctx.references!, doc);
  return pipeline;
}

/** One stage given inline (the action's `stage` input): a pipeline of one. */
export function loadInlineStage(text: string, source: string, registry: Registry): Pipeline {
  const doc = loadYaml(text, source);
  const value = doc.value;
  if (value && typeof value === 'object' && !Array.isArray(value) && !('id' in value) && typeof (value as { type?: unknown }).type === 'string') {
    (value as Record<string, unknown>).id = (value as { type: string }).type;
  }
  const ctx: ParseContext = { issues: [], deferReferences: true, references: [] };
  const parsed = stageSchema(registry).parse(value ?? null, [], ctx);
  if (parsed === INVALID) throw problems(doc, ctx.issues);
  const spec = toSpec(parsed, value as Record<string, unknown>, [], doc);
  const pipeline: Pipeline = { name: spec.id, application: applicationFromEnv() ?? spec.id, source, inputs: undefined, stages: [spec], metricStores: {}, locate: doc.locate };
  checkGraph(pipeline, ctx.references!, doc);
  return pipeline;
}

function toSpec(st: Record<string, unknown>, raw: Record<string, unknown>, path: Path, doc: LoadedYaml): StageSpec {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!(COMMON_STAGE_KEYS as readonly string[]).includes(k)) fields[k] = v;
  return {
    id: st.id as string,
    type: st.type as string,
    name: st.name as string | undefined,
    dependsOn: (st.dependsOn as string[] | undefined) ?? [],
    when: st.when as string | undefined,
    timeoutMs: st.timeout as number | undefined,
    onFailure: (st.onFailure as FailurePolicy | undefined) ?? FailurePolicy.FailPipeline,
    requiredArtifacts: (st.requiredArtifacts as ArtifactMatch[] | undefined) ?? [],
    onMissingArtifacts: (st.onMissingArtifacts as 'fail' | 'skip' | undefined) ?? 'fail',
    producedArtifacts: st.producedArtifacts as ArtifactMatch[] | undefined,
    fields,
    path,
    line: doc.locate(path)?.line,
  };
}

export function problems(doc: Pick<LoadedYaml, 'source' | 'locate'>, issues: Issue[]): ConfigError {
  return new ConfigError(
    issues.map((i): Problem => {
      const pos = doc.locate(i.path);
      return { source: doc.source, path: i.path, line: pos?.line, column: pos?.column, message: i.message };
    }),
  );
}

/** Ids, dependencies, cycles and references: everything the schema alone cannot see. */
function checkGraph(p: Pipeline, found: FoundReference[], doc: LoadedYaml): void {
  const issues: Issue[] = [];
  const index = new Map<string, number>();
  p.stages.forEach((st, i) => {
    if (index.has(st.id)) issues.push({ path: [...st.path, 'id'], message: `repeats the id "${st.id}" of stages[${index.get(st.id)}]; expected unique ids` });
    else index.set(st.id, i);
  });
  p.stages.forEach((st) =>
    st.dependsOn.forEach((d, j) => {
      if (!index.has(d)) issues.push({ path: [...st.path, 'dependsOn', j], message: `names "${d}", which is no stage of this pipeline; expected one of ${[...index.keys()].join(', ')}` });
      else if (d === st.id) issues.push({ path: [...st.path, 'dependsOn', j], message: `names the stage itself; expected another stage` });
    }),
  );
  if (issues.length) throw problems(doc, issues);

  const cycle = findCycle(p.stages);
  if (cycle) throw problems(doc, [{ path: [...p.stages.find((x) => x.id === cycle[0])!.path, 'dependsOn'], message: `forms a cycle: ${cycle.join(' → ')} (each stage depends on the next); expected a graph without cycles` }]);

  const ancestors = ancestorSets(p.stages);
  const stageAt = (path: Path) => p.stages.find((st) => st.path.every((x, i) => path[i] === x));
  const checkStageRef = (owner: StageSpec, stage: string, text: string, path: Path) => {
    if (!index.has(stage)) issues.push({ path, message: `refers to ${text}, but there is no stage "${stage}"; expected one of ${[...index.keys()].join(', ')}` });
    else if (!ancestors.get(owner.id)!.has(stage))
      issues.push({ path, message: `refers to ${text}, but stage "${stage}" is not upstream of "${owner.id}"; add it to dependsOn (directly or through another stage)` });
  };
  const checkInput = (name: string, text: string, path: Path) => {
    if (p.inputs && !(name in p.inputs))
      issues.push({ path, message: `refers to ${text}, but the pipeline declares no input "${name}"; expected one of: ${Object.keys(p.inputs).join(', ') || '(none declared; add it under inputs)'}` });
  };

  for (const ref of found) {
    const owner = stageAt(ref.path);
    if (!owner) continue;
    const isDependsOn = ref.path[owner.path.length] === 'dependsOn';
    if (ref.stage !== undefined && !isDependsOn) checkStageRef(owner, ref.stage, ref.text, ref.path);
    else if (ref.input !== undefined) checkInput(ref.input, ref.text, ref.path);
  }
  for (const st of p.stages) {
    const walked = { ...st.fields, requiredArtifacts: st.requiredArtifacts, ...(st.producedArtifacts ? { producedArtifacts: st.producedArtifacts } : {}) };
    walkStrings(walked, (text, rel) => {
      const path = [...st.path, ...rel];
      for (const ref of findReferences(text)) {
        if ('error' in ref) issues.push({ path, message: `has ${ref.error}` });
        else if (ref.kind === 'input') checkInput(ref.name, ref.text, path);
        else checkStageRef(st, ref.stage, ref.text, path);
      }
    });
  }
  if (issues.length) throw problems(doc, issues);
}

function findCycle(stages: StageSpec[]): string[] | undefined {
  const byId = new Map(stages.map((st) => [st.id, st]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const d of byId.get(id)!.dependsOn) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const st of stages) {
    const c = visit(st.id);
    if (c) return c;
  }
  return undefined;
}

export function ancestorSets(stages: StageSpec[]): Map<string, Set<string>> {
  const byId = new Map(stages.map((st) => [st.id, st]));
  const memo = new Map<string, Set<string>>();
  const get = (id: string): Set<string> => {
    const hit = memo.get(id);
    if (hit) return hit;
    const set = new Set<string>();
    memo.set(id, set);
    for (const d of byId.get(id)?.dependsOn ?? []) {
      set.add(d);
      for (const a of get(d)) set.add(a);
    }
    return set;
  };
  for (const st of stages) get(st.id);
  return memo;
}

/** An inline stage has no pipeline name: its application defaults to the repository's name. */
function applicationFromEnv(): string | undefined {
  const repo = process.env.GITHUB_REPOSITORY?.split('/')[1]?.toLowerCase();
  return repo && /^[a-z0-9][a-z0-9.-]{0,62}$/.test(repo) ? repo : undefined;
}
