import { s, type Infer } from '../config/schema.ts';
import { duration, httpUrl } from '../config/fields.ts';
import { formatDuration } from '../config/duration.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';
import type { Artifact } from '../pipeline/artifacts.ts';
import { sleep } from '../util/sleep.ts';
import { createJenkinsClient, jobPath, JenkinsError, type Build, type JenkinsClient } from '../jenkins/client.ts';

export const JENKINS_ARTIFACT = 'jenkins/artifact';

const BuildResult = { Success: 'SUCCESS', Unstable: 'UNSTABLE', Failure: 'FAILURE', NotBuilt: 'NOT_BUILT', Aborted: 'ABORTED' } as const;

/** Polls that may fail in a row (network, 5xx) before the stage gives up on Jenkins. */
const MAX_POLL_ERRORS = 5;

const fromEnv = (what: string) =>
  s.object({ fromEnv: s.string({ pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, patternText: 'an environment variable name' }).describe(`The environment variable holding the ${what}.`) }, ['fromEnv']);

const schema = s.object(
  {
    url: httpUrl().describe('The Jenkins URL, e.g. https://ci.example.com or https://example.com/jenkins.'),
    job: s
      .string({ pattern: /^[^/\s][^\s]*$/, patternText: 'a job name, with folders written a/b/job' })
      .describe('The job; in folders, folder/sub/job (becomes /job/folder/job/sub/job/job).'),
    parameters: s
      .record(s.union<string | number | boolean>([s.string(), s.number(), s.boolean()], 'a string, number or boolean'))
      .describe('Build parameters (buildWithParameters); without them the job is started with build.'),
    user: s
      .union<string | { fromEnv: string }>([s.string({ minLength: 1 }), fromEnv('user name')], 'a user name, or { fromEnv: NAME }')
      .describe('The Jenkins user the API token belongs to.'),
    token: fromEnv('API token').describe("The user's API token, read from an environment variable set from a secret (masked everywhere)."),
    wait: s.boolean().describe('Wait for the build to finish and fail unless it succeeds; false returns once the build has started. Default: true.'),
    waitTimeout: duration().describe('How long to wait for the queue and the build together. Default: 1h.'),
    pollInterval: duration().describe('Time between checks of the queue item and the build. Default: 10s.'),
    markUnstableAsSuccessful: s.boolean().describe('Count an UNSTABLE build as a success (as Spinnaker\'s option of that name). Default: false.'),
  },
  ['url', 'job'],
  {
    validate: (v, p, ctx) => {
      if (v.token && !v.user) ctx.issues.push({ path: [...p, 'user'], message: 'is required with token; expected the user the API token belongs to' });
      if (v.user && !v.token) ctx.issues.push({ path: [...p, 'token'], message: 'is required with user; expected { fromEnv: NAME } naming the variable that holds the API token' });
    },
  },
);

export type JenkinsConfig = Infer<typeof schema>;

export const jenkins: StageType<JenkinsConfig> = {
  type: 'jenkins',
  description: "Triggers a Jenkins job (with parameters), follows its queue item and build to the result, and turns its archived artifacts into artifacts (Spinnaker's Jenkins stage).",
  schema,
  outputs: {
    buildNumber: 'The build number.',
    buildUrl: 'The build page.',
    result: 'SUCCESS, UNSTABLE, FAILURE, ABORTED or NOT_BUILT (empty with wait: false).',
    artifacts: `JSON list of the archived artifacts' paths; each is also an artifact of type ${JENKINS_ARTIFACT} (name: the path, reference: its URL).`,
  },
  run,
};

async function run(config: JenkinsConfig, ctx: StageContext) {
  const user = typeof config.user === 'object' ? readEnv(ctx, config.user.fromEnv, 'user') : config.user;
  const token = config.token ? readEnv(ctx, config.token.fromEnv, 'token') : undefined;
  if (token) {
    ctx.addSecret(token);
    // The Authorization header carries it base64-encoded.
    ctx.addSecret(Buffer.from(`${user ?? ''}:${token}`).toString('base64'));
  }
  const parameters = Object.fromEntries(Object.entries(config.parameters ?? {}).map(([k, v]) => [k, String(v)]));
  const shown = Object.keys(parameters).length ? ` with parameters ${JSON.stringify(parameters)}` : '';
  if (ctx.dryRun) {
    ctx.log.info(`dry run: would build ${config.job} on ${config.url}${shown}`);
    return { outputs: { buildNumber: 0, buildUrl: '', result: '', artifacts: [] } };
  }
  const client = createJenkinsClient({
    url: config.url,
    user,
    token,
    http: ctx.http,
    signal: ctx.signal,
    tokenSource: config.token ? `the environment variable ${config.token.fromEnv}` : undefined,
  });
  const pollMs = config.pollInterval ?? 10_000;
  const timeoutMs = config.waitTimeout ?? 60 * 60_000;
  const follow: Follow = { client, job: config.job, ctx, poll: poller(ctx, pollMs), pollMs, deadline: Date.now() + timeoutMs, timeoutMs };

  const queueId = await client.trigger(config.job, parameters);
  ctx.log.info(`Queued ${config.job}${shown}: ${client.url}/queue/item/${queueId}/`);
  let started: { number: number; url: string } | undefined;
  try {
    started = await followQueue(follow, queueId);
    ctx.log.info(`Build #${started.number}: ${started.url}`);
    if (config.wait === false) return { outputs: { buildNumber: started.number, buildUrl: started.url, result: '', artifacts: [] } };
    const build = await followBuild(follow, started);
    return finish(config, started, build);
  } catch (e) {
    if (!ctx.signal.aborted) throw e;
    await stop(client, config.job, queueId, started, ctx);
    // The outputs name the build, so whoever looks at the cancelled job can find it.
    throw new StageError(
      started ? `stopped build #${started.number} of ${config.job}: ${started.url}` : `cancelled the queued build of ${config.job}`,
      { buildNumber: started?.number ?? 0, buildUrl: started?.url ?? '', result: '', artifacts: [] },
    );
  }
}

function readEnv(ctx: StageContext, name: string, field: string): string {
  const v = ctx.env[name];
  if (v === undefined || v === '') throw new StageError(`${field}: the environment variable ${name} is ${v === '' ? 'empty' : 'not set'}; set it from a secret in the step's env`);
  return v;
}

/** Waits between polls; counts polls that failed in a row, so one network blip does not fail a long build. */
function poller(ctx: StageContext, pollMs: number) {
  let errors = 0;
  return async <T>(what: () => Promise<T>): Promise<T | undefined> => {
    try {
      const v = await what();
      errors = 0;
      return v;
    } catch (e) {
      if (!(e instanceof JenkinsError) || (e.status !== 0 && e.status < 500) || ++errors >= MAX_POLL_ERRORS) throw e;
      ctx.log.warn(`${e.message}; trying again in ${formatDuration(pollMs)} (${errors} of ${MAX_POLL_ERRORS} failures in a row)`);
      return undefined;
    }
  };
}

interface Follow {
  client: JenkinsClient;
  job: string;
  ctx: StageContext;
  poll: ReturnType<typeof poller>;
  pollMs: number;
  deadline: number;
  timeoutMs: number;
}

async function followQueue(f: Follow, queueId: number): Promise<{ number: number; url: string }> {
  const { client, job, ctx } = f;
  let lastWhy: string | undefined;
  for (;;) {
    const item = await f.poll(() => client.queueItem(queueId));
    if (item?.cancelled) throw new StageError(`the queued build of ${job} was cancelled in Jenkins (${client.url}/queue/item/${queueId}/) before it started`);
    if (item?.executable) return { number: item.executable.number, url: item.executable.url ?? `${client.url}${jobPath(job)}/${item.executable.number}/` };
    if (item?.why && item.why !== lastWhy) ctx.log.info(`Waiting in the queue: ${item.why}`);
    lastWhy = item?.why ?? lastWhy;
    if (Date.now() + f.pollMs > f.deadline)
      throw new StageError(`${job} is still in the Jenkins queue after ${formatDuration(f.timeoutMs)} (waitTimeout)${lastWhy ? `: ${lastWhy}` : ''}; see ${client.url}/queue/item/${queueId}/`);
    await sleep(f.pollMs, ctx.signal);
  }
}

async function followBuild(f: Follow, started: { number: number; url: string }): Promise<Build> {
  const { client, job, ctx } = f;
  let announced = false;
  for (;;) {
    const b = await f.poll(() => client.build(job, started.number));
    if (b && !b.building && b.result) return b;
    if (b?.building && !announced) {
      ctx.log.info(`Build #${started.number} is running`);
      announced = true;
    }
    if (Date.now() + f.pollMs > f.deadline)
      throw new StageError(`build #${started.number} of ${job} is still running after ${formatDuration(f.timeoutMs)} (waitTimeout); it goes on in Jenkins: ${started.url}`, {
        buildNumber: started.number,
        buildUrl: started.url,
      });
    await sleep(f.pollMs, ctx.signal);
  }
}

function finish(config: JenkinsConfig, started: { number: number; url: string }, build: Build) {
  const buildUrl = build.url ?? started.url;
  const base = buildUrl.endsWith('/') ? buildUrl : `${buildUrl}/`;
  const archived = build.artifacts ?? [];
  const artifacts: Artifact[] = archived.map((a) => ({
    type: JENKINS_ARTIFACT,
    name: a.relativePath,
    reference: `${base}artifact/${a.relativePath.split('/').map(encodeURIComponent).join('/')}`,
    version: String(build.number),
    metadata: { job: config.job, buildNumber: build.number, fileName: a.fileName },
  }));
  const outputs = { buildNumber: build.number, buildUrl, result: build.result ?? '', artifacts: archived.map((a) => a.relativePath) };
  const ok = build.result === BuildResult.Success || (config.markUnstableAsSuccessful === true && build.result === BuildResult.Unstable);
  if (!ok)
    throw new StageError(
      `build #${build.number} of ${config.job} ended ${build.result}${build.result === BuildResult.Unstable ? ' (set markUnstableAsSuccessful to accept it)' : ''}: ${buildUrl}`,
      outputs,
    );
  return { outputs, artifacts };
}

/** Cancelling the stage stops what it started in Jenkins, as Spinnaker does. */
async function stop(client: JenkinsClient, job: string, queueId: number, started: { number: number } | undefined, ctx: StageContext): Promise<void> {
  try {
    if (started) {
      await client.stopBuild(job, started.number);
      ctx.log.info(`Stopped build #${started.number} of ${job}`);
    } else {
      await client.cancelQueueItem(queueId);
      ctx.log.info(`Cancelled queue item ${queueId} of ${job}`);
    }
  } catch (e) {
    ctx.log.warn(`Could not stop ${job} in Jenkins: ${(e as Error).message}`);
  }
}
