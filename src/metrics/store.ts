// Metric stores (the original's 지표 저장소): where canary analysis reads its series.
// Prometheus is the one kind today; the analysis depends only on this interface.
import { s, type Infer } from '../config/schema.ts';
import { duration } from '../config/fields.ts';

export interface Series {
  /** Label set of the series, __name__ dropped. */
  labels: Record<string, string>;
  /** [unix seconds, value] pairs; NaN where Prometheus says NaN. */
  points: [number, number][];
}

export interface MetricStore {
  readonly name: string;
  readonly url: string;
  /** Asks the server who it is; fails with a precise reason. */
  check(signal?: AbortSignal): Promise<{ version: string }>;
  queryRange(query: string, range: { start: Date; end: Date; stepSeconds: number }, signal?: AbortSignal): Promise<Series[]>;
}

export const MetricStoreErrorKind = {
  Dns: 'dns',
  Connection: 'connection',
  Tls: 'tls',
  Auth: 'auth',
  NotPrometheus: 'not-prometheus',
  Query: 'query',
  Timeout: 'timeout',
  Server: 'server',
} as const;
export type MetricStoreErrorKind = (typeof MetricStoreErrorKind)[keyof typeof MetricStoreErrorKind];

export class MetricStoreError extends Error {
  override name = 'MetricStoreError';
  readonly kind: MetricStoreErrorKind;
  constructor(message: string, kind: MetricStoreErrorKind) {
    super(message);
    this.kind = kind;
  }
  /** Worth another try: the server may come back. A bad query or bad credentials will not. */
  get transient(): boolean {
    return ([MetricStoreErrorKind.Connection, MetricStoreErrorKind.Timeout, MetricStoreErrorKind.Server, MetricStoreErrorKind.Dns] as string[]).includes(this.kind);
  }
}

const secretValue = s.union<string | { value?: string; fromEnv?: string }>(
  [
    s.object({
      fromEnv: s.string({ minLength: 1 }).describe('Read it from this environment variable (set it from a GitHub secret).'),
      value: s.string().describe('The value itself (prefer fromEnv).'),
    }),
    s.string(),
  ],
  'a string, or a mapping with fromEnv',
);

export const metricStoreSchema = s
  .object(
    {
      type: s.enum(['prometheus'] as const).describe('Kind of metric store. Default: prometheus.'),
      url: s.string({ pattern: /^https?:\/\/\S+$|^\$\(/, patternText: 'an http:// or https:// URL' }).describe('Base URL of the Prometheus server (or a Prometheus-compatible API such as Thanos, Mimir or VictoriaMetrics).'),
      bearerToken: secretValue.describe('Bearer token, masked everywhere.'),
      username: s.string().describe('Basic auth user.'),
      password: secretValue.describe('Basic auth password, masked everywhere.'),
      headers: s.record(secretValue).describe('Extra request headers (e.g. X-Scope-OrgID); values are masked.'),
      ca: s.string().describe('PEM certificate(s) of the CA that signed the server certificate, or a path to them in the workspace.'),
      insecureSkipVerify: s.boolean().describe('Do not verify the server certificate (testing only).'),
      timeout: duration().describe('Timeout of each request. Default: 30s.'),
    },
    ['url'],
  )
  .describe('A Prometheus endpoint and how to reach it.');

export type MetricStoreConfig = Infer<typeof metricStoreSchema>;
