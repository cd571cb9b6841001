import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { MetricConfig, MetricResult, MetricSeries, JudgeSettings } from '../../src/canary/types.ts';
import { DEFAULT_JUDGE_SETTINGS } from '../../src/canary/types.ts';

export const settings: JudgeSettings = { ...DEFAULT_JUDGE_SETTINGS, seed: 7 };

export function metric(overrides: Partial<MetricConfig> = {}): MetricConfig {
  return {
    name: 'latency',
    groups: ['performance'],
    direction: 'either',
    critical: false,
    mustHaveData: false,
    nanStrategy: 'remove',
    muted: false,
    effectSize: { measure: 'meanRatio', allowedIncrease: 1, allowedDecrease: 1, criticalIncrease: 1, criticalDecrease: 1 },
    outliers: { strategy: 'keep', factor: 3 },
    ...overrides,
  };
}

export function series(baseline: number[], canary: number[], overrides: Partial<MetricConfig> = {}, labels: Record<string, string> = {}): MetricSeries {
  return { metric: metric(overrides), labels, baseline, canary };
}

/** A deterministic, irregular sample: value ± spread, n points. */
export function sample(n: number, value: number, spread: number, phase = 0): number[] {
  return Array.from({ length: n }, (_, i) => value + spread * Math.sin(i * 2.399963 + phase) * Math.cos(i * 0.7 + phase));
}

export function result(overrides: Partial<MetricResult> = {}): MetricResult {
  const side = { count: 100, mean: 1, std: 0, min: 1, max: 1 };
  return {
    name: 'm',
    labels: {},
    groups: ['g'],
    classification: 'Pass',
    critical: false,
    muted: false,
    reason: 'because',
    ratio: 1,
    baseline: side,
    canary: side,
    warnings: [],
    ...overrides,
  };
}

export function fixtures<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/canary/${name}`, import.meta.url), 'utf8')) as T;
}

/** |actual − expected| ≤ abs + rel·|expected|. */
export function assertClose(actual: number, expected: number, { abs = 0, rel = 0 }: { abs?: number; rel?: number }, what = ''): void {
  const allowed = abs + rel * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= allowed, `${what}: ${actual} differs from ${expected} by ${Math.abs(actual - expected)}, more than ${allowed}`);
}
