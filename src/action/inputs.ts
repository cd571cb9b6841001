// The only module that reads action inputs. It returns one validated settings object.
import * as core from '@actions/core';
import path from 'node:path';
import os from 'node:os';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/errors.ts';
import { isPlainObject } from '../config/schema.ts';
import { parseArtifactList } from '../pipeline/artifacts.ts';
import type { RunSettings } from '../runner.ts';

export function readSettings(env: NodeJS.ProcessEnv = process.env): Omit<RunSettings, 'tempDir'> & { kubeconfigContent?: string } {
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const pipelineFile = core.getInput('pipeline');
  const stage = core.getInput('stage');
  if (!pipelineFile && !stage) fail('pipeline', "is empty and so is 'stage'; give a pipeline file path, or one stage as YAML in 'stage'");
  if (pipelineFile && stage) fail('stage', "is set together with 'pipeline'; give one of them");
  const only = core
    .getInput('stages')
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  if (only.length && stage) fail('stages', "selects stages of a pipeline file, but 'stage' is an inline stage; drop one of them");

  const inputsText = core.getInput('inputs');
  let inputs: Record<string, unknown> = {};
  if (inputsText.trim()) {
    let v: unknown;
    try {
      v = parseYaml(inputsText, { maxAliasCount: 50 });
    } catch (e) {
      fail('inputs', `is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!isPlainObject(v)) fail('inputs', 'is not a mapping; expected name: value pairs (YAML) or a JSON object');
    inputs = v;
  }
  const artifacts = parseArtifactList(core.getInput('artifacts'), "the action input 'artifacts'");
  if (!Array.isArray(artifacts)) throw new ConfigError([{ source: 'action inputs', path: ['artifacts'], message: describeArtifactError(artifacts.error) }]);

  let dryRun = false;
  const dryText = core.getInput('dry-run');
  if (dryText) {
    if (!['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].includes(dryText))
      fail('dry-run', `has ${JSON.stringify(dryText)}; expected true or false`);
    dryRun = dryText.toLowerCase() === 'true';
  }
  const reportDir = path.resolve(workspace, core.getInput('report-dir') || path.join(env.RUNNER_TEMP || os.tmpdir(), 'rollgate'));
  const kubeconfig = core.getInput('kubeconfig');
  const githubToken = core.getInput('github-token');
  if (githubToken) core.setSecret(githubToken);
  const context = core.getInput('context');

  return {
    pipelineFile: pipelineFile || undefined,
    inlineStage: stage ? { text: stage, source: "action input 'stage'" } : undefined,
    only: only.length ? only : undefined,
    inputs,
    artifacts,
    dryRun,
    workspace,
    reportDir,
    kubeconfigContent: kubeconfig || undefined,
    kube: context ? { context } : undefined,
    githubToken: githubToken || undefined,
  };
}

function fail(input: string, message: string): never {
  throw new ConfigError([{ source: 'action inputs', path: [input], message }]);
}

/** "[0].name is required…" → "is invalid: [0].name is required…"; "is not JSON…" stays as it is. */
function describeArtifactError(error: string): string {
  const rest = error.replace("the action input 'artifacts'", '').trim();
  return rest.startsWith('[') || rest.startsWith('.') ? `is invalid: ${rest}` : rest;
}
