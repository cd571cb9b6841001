// Step 5 of the judge: from metric classifications to group scores, one summary score and
// its classification, as Kayenta's WeightedSumScorer and orca's threshold rule do.
import {
  MetricClassification,
  ScoreClassification,
  type ClassificationCounts,
  type GroupResult,
  type JudgeSettings,
  type MetricResult,
} from '../types.ts';

/** Kayenta's NODATA_THRESHOLD: this share (in %) of Nodata results or more fails the canary. */
export const NODATA_PERCENT = 50;

export interface Score {
  score: number;
  classification: ScoreClassification;
  reason: string;
  groups: GroupResult[];
}

export function scoreResults(results: MetricResult[], groupWeights: Record<string, number>, settings: Pick<JudgeSettings, 'marginal' | 'pass'>): Score {
  // Muted metrics are classified and reported, never scored.
  const scored = results.filter((r) => !r.muted);
  const groups = groupScores(results, scored, groupWeights);

  const criticals = scored.filter((r) => r.critical && r.classification !== MetricClassification.Pass);
  if (criticals.length) {
    const first = criticals[0]!;
    const more = criticals.length > 1 ? ` (and ${criticals.length - 1} more critical failure${criticals.length > 2 ? 's' : ''})` : '';
    return finish(0, `critical metric ${describe(first)} is ${first.classification}: ${first.reason}${more}`, groups, settings);
  }
  const nodata = scored.filter((r) => r.classification === MetricClassification.Nodata).length;
  // With nothing scored Kayenta's share is 0/0, which is not ≥ 50%: the groups decide.
  if (scored.length && (nodata / scored.length) * 100 >= NODATA_PERCENT) {
    return finish(0, `${nodata} of ${scored.length} scored results had no data; ${NODATA_PERCENT}% or more without data fails the canary`, groups, settings);
  }
  let sum = 0;
  for (const g of groups) sum += g.score * (g.weight / 100);
  const score = roundHalfUp(sum, 2);
  const parts = groups.map((g) => `${g.name} ${roundHalfUp(g.score, 2)} × ${roundHalfUp(g.weight, 2)}%`);
  return finish(score, `group scores ${parts.join(', ') || '(no groups)'}`, groups, settings);
}

/**
 * score ≤ marginal → Fail, score < pass → Marginal, else Pass. Kayenta's own classifier calls
 * a score equal to the marginal threshold Marginal, but orca fails the stage at that score;
 * the stage's outcome is what users act on, so the verdict says Fail there too.
 */
export function classifyScore(score: number, { marginal, pass }: Pick<JudgeSettings, 'marginal' | 'pass'>): ScoreClassification {
  if (score <= marginal) return ScoreClassification.Fail;
  if (score < pass) return ScoreClassification.Marginal;
  return ScoreClassification.Pass;
}

function finish(score: number, why: string, groups: GroupResult[], settings: Pick<JudgeSettings, 'marginal' | 'pass'>): Score {
  const classification = classifyScore(score, settings);
  const verdict =
    classification === ScoreClassification.Fail
      ? `at or below the marginal threshold ${settings.marginal}`
      : classification === ScoreClassification.Marginal
        ? `above the marginal threshold ${settings.marginal} but below the pass threshold ${settings.pass}`
        : `at or above the pass threshold ${settings.pass}`;
  return { score, classification, reason: `score ${score} is ${verdict}: ${why}`, groups };
}

function groupScores(all: MetricResult[], scored: MetricResult[], weights: Record<string, number>): GroupResult[] {
  // Configured groups first, in their order, then groups only the results name. A group
  // whose metrics are all muted still appears (with score 100), so its weight is not lost.
  const names = [...Object.keys(weights)];
  for (const r of all) for (const g of r.groups) if (!names.includes(g)) names.push(g);
  const unweighted = names.filter((n) => !(n in weights));
  const configured = Object.values(weights).reduce((a, b) => a + b, 0);
  const shared = unweighted.length ? (100 - configured) / unweighted.length : 0;

  return names.map((name) => {
    const counts = emptyCounts();
    for (const r of scored) if (r.groups.includes(name)) counts[r.classification]++;
    const judged = counts.Pass + counts.High + counts.Low + counts.NodataFailMetric;
    return {
      name,
      weight: name in weights ? weights[name]! : shared,
      score: judged === 0 ? 100 : (100 * counts.Pass) / judged,
      counts,
    };
  });
}

function emptyCounts(): ClassificationCounts {
  return { Pass: 0, High: 0, Low: 0, Nodata: 0, NodataFailMetric: 0, Error: 0 };
}

function describe(r: MetricResult): string {
  const labels = Object.entries(r.labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `"${r.name}"${labels ? ` {${labels}}` : ''}`;
}

/**
 * Rounds half up on the shortest decimal form of x, as Commons Math's Precision.round does
 * (through BigDecimal), so 66.665 becomes 66.67 rather than binary rounding's 66.66.
 */
export function roundHalfUp(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return x;
  const text = Math.abs(x).toString();
  const scale = 10 ** decimals;
  if (text.includes('e')) return Math.round(x * scale) / scale;
  const [whole, fraction = ''] = text.split('.') as [string, string?];
  if (fraction.length <= decimals) return x;
  let units = BigInt(whole + fraction.slice(0, decimals));
  if (fraction.charCodeAt(decimals) >= 53 /* '5' */) units += 1n;
  const rounded = Number(units) / scale;
  return x < 0 ? -rounded : rounded;
}
