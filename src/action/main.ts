// The action's entry: read inputs → run → outputs, summary, annotations. It is the
// only place that turns an error into a failed step, and it never leaves a failed run green.
import * as core from '@actions/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import os from 'node:os';
import path from 'node:path';
import { readSettings } from './inputs.ts';
import { collectOutputs } from './outputs.ts';
import { renderSummary } from './summary.ts';
import { execute } from '../runner.ts';
import { Secrets } from '../log/secrets.ts';
import { ConfigError, formatProblem } from '../config/errors.ts';
import { createHttpClient } from '../http/client.ts';
import { errorMessage } from '../pipeline/engine.ts';
import { PipelineResult, StageStatus } from '../pipeline/types.ts';
import type { LogSink } from '../log/logger.ts';

const MAX_ANNOTATIONS = 10;

export async function run(): Promise<void> {
  if (core.getState('isPost') === 'true') return post();
  core.saveState('isPost', 'true');

  const secrets = new Secrets((v) => core.setSecret(v));
  const controller = new AbortController();
  const onSignal = (sig: string) => () => {
    if (controller.signal.aborted) process.exit(1);
    core.warning(`Received ${sig}: stopping running stages`);
    controller.abort(new Error(`received ${sig}`));
  };
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));

  try {
    const { kubeconfigContent, ...settings } = readSettings();
    const tempDir = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'rollgate-'));
    core.saveState('tempDir', tempDir);
    if (kubeconfigContent) settings.kube = { ...settings.kube, kubeconfigPath: writeKubeconfig(kubeconfigContent, tempDir, secrets) };
    const sink: LogSink = {
      line: (t, level) => (level === 'warn' ? core.warning(t) : level === 'debug' ? core.debug(t) : core.info(t)),
      startGroup: (t) => core.startGroup(t),
      endGroup: () => core.endGroup(),
    };
    const { report, reportPath } = await execute(
      { ...settings, tempDir },
      { sink, secrets, signal: controller.signal, env: process.env, http: createHttpClient() },
    );

    const { values, spilled } = collectOutputs(report, reportPath, settings.workspace);
    for (const [name, value] of Object.entries(values)) core.setOutput(name, secrets.mask(value));
    for (const [name, file] of Object.entries(spilled)) core.info(`Output ${name} is large; written to ${file}`);

    const failures = report.stages.filter((st) => st.status === StageStatus.Failed || st.status === StageStatus.FailedContinue);
    for (const st of failures.slice(0, MAX_ANNOTATIONS)) {
      const props = { title: `rollgate: stage ${st.id} ${st.status}`, file: report.source, startLine: st.line };
      if (st.status === StageStatus.Failed) core.error(secrets.mask(st.error ?? ''), props);
      else core.warning(secrets.mask(st.error ?? ''), props);
    }
    await writeSummary(secrets.mask(renderSummary(report, spilled)));
    core.info(`Report: ${reportPath}`);

    if (report.result !== PipelineResult.Succeeded) {
      const first = failures.find((st) => st.status === StageStatus.Failed);
      core.setFailed(secrets.mask(`Pipeline ${report.pipeline} ${report.result}${first ? `: stage ${first.id}: ${first.error}` : ''}`));
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems.slice(0, MAX_ANNOTATIONS))
        core.error(secrets.mask(formatProblem(p)), { title: 'rollgate: invalid configuration', file: p.line ? p.source : undefined, startLine: p.line });
      core.setOutput('result', 'invalid');
      core.setFailed(secrets.mask(`Invalid configuration:\n${e.message}`));
    } else {
      core.setFailed(secrets.mask(errorMessage(e)));
    }
  }
}

/** The kubeconfig input goes to a 0600 file in the private temporary directory; its credentials are masked first. */
function writeKubeconfig(content: string, tempDir: string, secrets: Secrets): string {
  secrets.add(content, { lines: false });
  try {
    const doc = parseYaml(content) as { users?: { user?: Record<string, unknown> }[] };
    for (const u of doc?.users ?? [])
      for (const key of ['token', 'password', 'client-key-data', 'client-certificate-data', 'username'])
        if (typeof u.user?.[key] === 'string') secrets.add(u.user[key] as string);
  } catch {
    // Not YAML: the client will say so when a Kubernetes stage reads it.
  }
  const file = path.join(tempDir, 'kubeconfig');
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

async function writeSummary(html: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addRaw(html).write();
  } catch (e) {
    core.warning(`Could not write the job summary: ${errorMessage(e)}`);
  }
}

/** The post step: removes what the main step wrote to temporary files (kubeconfigs, credentials). */
export function post(): void {
  const tempDir = core.getState('tempDir');
  if (!tempDir) return;
  try {
    rmSync(tempDir, { recursive: true, force: true });
    core.info(`Removed ${tempDir}`);
  } catch (e) {
    core.warning(`Could not remove ${tempDir}: ${errorMessage(e)}`);
  }
}
