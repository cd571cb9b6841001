// The fault and bad-input classes that RELIABILITY.md reports on: for each, what rollgate
// must do and which tests prove it (a file and a pattern over its test names). The cases are
// counted from the test run itself, so the table cannot claim tests that do not exist.

/** @typedef {{ file: string, match?: RegExp, unit?: (source: string) => { count: number, what: string } }} Tests */
/** @typedef {{ area: string, fault: string, expected: string, tests: Tests[] }} FaultClass */

/** fast-check properties: the documents they generate, from their numRuns. */
const generatedDocuments = (source) => ({
  count: [...source.matchAll(/numRuns: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0),
  what: 'generated documents',
});

/** @type {FaultClass[]} */
export const CLASSES = [
  {
    area: 'Faults',
    fault: 'Prometheus stopped mid-analysis, then restarted within the retry window; or stopped for good',
    expected: 'Restarted: the analysis continues and judges every interval. Stopped: the stage fails with the connection error after its retries. Never a pass.',
    tests: [{ file: 'test/analysis/faults.env.test.ts' }],
  },
  {
    area: 'Faults',
    fault: 'kube-apiserver killed and restarted while deploy waits until stable',
    expected: 'The wait goes on through the outage and completes when the server is back (until waitTimeout, which then names the outage).',
    tests: [{ file: 'test/reliability/kube-faults.env.test.ts', match: /^restarted while deploy waits/ }],
  },
  {
    area: 'Faults',
    fault: 'kube-apiserver killed during apply',
    expected: 'The stage fails naming the server it lost, what was applied and what was not; running it again converges.',
    tests: [{ file: 'test/reliability/kube-faults.env.test.ts', match: /^stopped during apply/ }],
  },
  {
    area: 'Faults',
    fault: 'Another writer updates the same object during patch and disable',
    expected: 'Both succeed and both writers\' changes are in the final object: rollgate writes patches, which the server applies to the newest version (no lost update); 409s and 5xx are retried, except a 409 on a patch locked to a resourceVersion, which is final.',
    tests: [{ file: 'test/reliability/kube-faults.env.test.ts', match: /another writer/ }],
  },
  {
    area: 'Faults',
    fault: 'Two jobs promote the same paused rollout at once',
    expected: 'Exactly one goes on: the rollout state is claimed with a write locked to the version read; the other changes nothing and says another job got there first.',
    tests: [{ file: 'test/rollout/rollout.env.test.ts', match: /^two jobs promoting/ }],
  },
  {
    area: 'Faults',
    fault: 'A webhook target that hangs, answers slowly, resets connections, sends an endless body, or fails',
    expected: 'Bounded by requestTimeout and maxResponseBytes; retried (429 with Retry-After, 5xx, resets) up to the retries, then a clear error; fail-fast codes fail at once.',
    tests: [{ file: 'test/stages/webhook.test.ts', match: /retries|Retry-After|gives up|fail-fast|4xx|slow server|endless body|reset connection|polling fails/ }],
  },
  {
    area: 'Faults',
    fault: 'GitHub and Jenkins APIs failing or refusing',
    expected: 'Retried where it helps (5xx, rate limits, lost crumbs), then the error names the request, the status and the permission or setting to fix.',
    tests: [
      { file: 'test/github/run-workflow.test.ts', match: /5xx|rate limit|refusing|unknown workflow|ends in failure|waitTimeout/ },
      { file: 'test/jenkins/jenkins.test.ts', match: /crumb|401|fails|unreachable|error/i },
    ],
  },
  {
    area: 'Cancellation',
    fault: 'SIGTERM or SIGINT to the action during deploy\'s wait, an analysis, a rollout, a run-workflow wait and a Jenkins wait',
    expected: 'The stage stops within the stop grace period; a rollout puts all traffic back on stable; outputs and the report are written; the post step removes temporary files (the kubeconfig among them); exit code 1; the started workflow run or Jenkins build is cancelled.',
    tests: [
      { file: 'test/reliability/cancel.env.test.ts' },
      { file: 'test/action/action.test.ts', match: /SIGTERM/ },
    ],
  },
  {
    area: 'Cancellation',
    fault: 'Cancellation inside the engine (pipeline cancelled, fail-pipeline, timeouts, a stage that ignores the stop)',
    expected: 'Running stages are cancelled, the rest are skipped, the result is cancelled or failed; a stage that ignores the stop is abandoned after the grace period.',
    tests: [
      { file: 'test/pipeline/engine.test.ts', match: /cancel|timeout|timed out|grace|fail-pipeline/i },
      { file: 'test/load/load.env.test.ts', match: /cancelling|one of 50 failing/ },
      { file: 'test/github/run-workflow.test.ts', match: /^cancelling/ },
      { file: 'test/jenkins/jenkins.test.ts', match: /^cancelling/ },
    ],
  },
  {
    area: 'Bad input',
    fault: 'Generated pipelines, inline stages, canary configs and raw text (property-based, fast-check)',
    expected: 'Accepted, or refused with problems that each name a path; never a crash or a stack trace.',
    tests: [{ file: 'test/fuzz/config.test.ts', unit: generatedDocuments }],
  },
  {
    area: 'Bad input',
    fault: 'Malformed YAML, wrong types, unknown keys, bad references, YAML bombs and deep nesting, malformed inputs',
    expected: 'Refused before any stage runs, naming the file, line, path, bad value and expected form.',
    tests: [
      { file: 'test/config/pipeline.test.ts', match: /errors|unknown|missing|duplicate|refused|malformed|refuses/ },
      { file: 'test/canary/config.test.ts', match: /refused|must|error/i },
      { file: 'test/action/action.test.ts', match: /bad inputs|invalid pipeline/ },
      { file: 'test/artifacts/cross-job.test.ts', match: /malformed/ },
    ],
  },
  {
    area: 'Bad input',
    fault: 'PromQL injection through scope, location and extra variables',
    expected: 'Values are escaped for their place in the query or refused: the query never changes shape.',
    tests: [{ file: 'test/canary/query.test.ts', match: /inject|backslashes|=~|raw|unknown variable|malformed templates/ }],
  },
  {
    area: 'Bad input',
    fault: 'Manifest, chart, values and kustomization paths that leave the workspace (.., absolute, symbolic links)',
    expected: 'Refused before anything is read or any cluster or tool is contacted, naming the field and the path.',
    tests: [
      { file: 'test/reliability/paths.test.ts' },
      { file: 'test/action/action.test.ts', match: /outside the workspace/ },
    ],
  },
  {
    area: 'Secrets',
    fault: 'Known secrets (tokens, passwords, kubeconfig credentials, secret webhook headers, Prometheus credentials) in full pipelines, with servers that echo them',
    expected: 'Masked as soon as read; absent from stdout, stderr, the summary, outputs, reports and error messages.',
    tests: [
      { file: 'test/action/secrets.test.ts' },
      { file: 'test/stages/webhook.test.ts', match: /secret/ },
      { file: 'test/github/run-workflow.test.ts', match: /token never/ },
      { file: 'test/pipeline/engine.test.ts', match: /secrets/ },
      { file: 'test/bake/helm.env.test.ts', match: /masked/ },
    ],
  },
  {
    area: 'Least privilege',
    fault: 'Each Kubernetes stage run with exactly the documented Role, and with each verb removed in turn',
    expected: 'Succeeds with the Role; with one verb fewer, fails with a 403 naming the operation, the object, the user and the missing verb.',
    tests: [{ file: 'test/kube/rbac.env.test.ts' }],
  },
  {
    area: 'Load',
    fault: '50 parallel stages; an analysis of 200 metric series',
    expected: 'Every stage runs and succeeds, every series is judged; memory in BENCHMARKS.md ("Load").',
    tests: [{ file: 'test/load/load.env.test.ts' }],
  },
];
