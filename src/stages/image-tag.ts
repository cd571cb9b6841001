import { s, type Infer, type Path, type ParseContext } from '../config/schema.ts';
import { ArtifactType, type Artifact } from '../pipeline/artifacts.ts';
import { StageError, type StageContext, type StageType } from '../pipeline/types.ts';

/** The placeholders a format may hold, as the original product wrote them. */
export const Placeholder = {
  BuildNumber: '{BUILD_NUMBER}',
  BuildAttempt: '{BUILD_ATTEMPT}',
  BuildDateTime: '{BUILD_DATE_TIME}',
  ShortSha: '{SHORT_SHA}',
} as const;
const PLACEHOLDERS: readonly string[] = Object.values(Placeholder);

/** Docker's tag grammar: 1–128 of letters, digits, _ . -, not starting with . or -. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// One path component of an image name (distribution/reference): lowercase, separators inside.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d+)?$/;

/** Why an image name is not usable here, or undefined when it is. */
export function imageNameProblem(image: string): string | undefined {
  if (image.includes('@')) return 'has a digest; give the image name alone (the stage makes the tag)';
  const parts = image.split('/');
  const last = parts.at(-1)!;
  if (last.includes(':')) return `has the tag ${JSON.stringify(last.slice(last.indexOf(':') + 1))}; give the image name alone (the stage makes the tag)`;
  const host = parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost') ? parts.shift()! : undefined;
  if (host !== undefined && !HOST.test(host)) return `has the registry ${JSON.stringify(host)}, which is not a host name (with an optional :port)`;
  const bad = parts.find((p) => !COMPONENT.test(p));
  if (bad !== undefined) return `has the path component ${JSON.stringify(bad)}; expected lowercase letters and digits, separated by ., _, __ or -`;
  return undefined;
}

/** Unknown `{…}` placeholders in a format. */
export function unknownPlaceholders(format: string): string[] {
  return [...format.matchAll(/\{[^{}]*\}/g)].map((m) => m[0]).filter((p) => !PLACEHOLDERS.includes(p));
}

export interface TagValues {
  buildNumber?: string;
  buildAttempt?: string;
  sha?: string;
  date: Date;
  timeZone: string;
}

/** `yyyy-MM-dd_HH_mm_ss` in the given time zone (the original product's {BUILD_DATE_TIME}). */
export function formatDateTime(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}_${get('hour')}_${get('minute')}_${get('second')}`;
}

/** The tag a format gives; a placeholder whose value is unknown is an error that says where the value comes from. */
export function formatTag(format: string, v: TagValues): string {
  const need = (value: string | undefined, placeholder: string, source: string) => {
    if (value === undefined || value === '') throw new StageError(`format ${JSON.stringify(format)} uses ${placeholder}, but ${source}`);
    return value;
  };
  const tag = format.replace(/\{[^{}]*\}/g, (p) => {
    switch (p) {
      case Placeholder.BuildNumber:
        return need(v.buildNumber, p, 'there is no build number: GITHUB_RUN_NUMBER is not set (outside GitHub Actions, set it or the buildNumber field)');
      case Placeholder.BuildAttempt:
        return need(v.buildAttempt, p, 'GITHUB_RUN_ATTEMPT is not set (outside GitHub Actions, set it)');
      case Placeholder.ShortSha:
        return need(v.sha, p, 'there is no commit: GITHUB_SHA is not set (outside GitHub Actions, set it or the sha field)').slice(0, 7);
      case Placeholder.BuildDateTime:
        return formatDateTime(v.date, v.timeZone);
      default:
        throw new StageError(`format ${JSON.stringify(format)} has the unknown placeholder ${p}; expected ${PLACEHOLDERS.join(', ')}`);
    }
  });
  if (!TAG.test(tag))
    throw new StageError(
      `format ${JSON.stringify(format)} gives the tag ${JSON.stringify(tag)}, which is not a valid image tag; a tag is 1 to 128 letters, digits, _, . and -, and does not start with . or -`,
    );
  return tag;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const checkImage = (image: string, path: Path, ctx: ParseContext) => {
  if (image.includes('$(')) return;
  const problem = imageNameProblem(image);
  if (problem) ctx.issues.push({ path, message: `is ${JSON.stringify(image)}, which ${problem}` });
};

const schema = s.object(
  {
    image: s.string({ minLength: 1 }).describe('The image to tag, without a tag, e.g. ghcr.io/acme/web.'),
    images: s.array(s.string({ minLength: 1 }), { minItems: 1 }).describe('Several images that get the same tag, e.g. [ghcr.io/acme/web, ghcr.io/acme/worker].'),
    format: s
      .string({ minLength: 1 })
      .describe('The tag: free text with {BUILD_NUMBER} ($GITHUB_RUN_NUMBER), {BUILD_ATTEMPT} ($GITHUB_RUN_ATTEMPT), {BUILD_DATE_TIME} (yyyy-MM-dd_HH_mm_ss) and {SHORT_SHA} (7 characters of $GITHUB_SHA), e.g. _{BUILD_NUMBER} or 1.4-{SHORT_SHA}.'),
    buildNumber: s
      .map(s.union<string | number>([s.string({ pattern: /^\d+$|\$\(/, patternText: 'a build number (digits)' }), s.number({ integer: true, min: 0 })], 'a build number (digits)'), (v) => String(v))
      .describe('The build number for {BUILD_NUMBER} and the artifacts\' version. Default: $GITHUB_RUN_NUMBER.'),
    sha: s.string({ pattern: /^[0-9a-fA-F]{7,64}$|\$\(/, patternText: 'a commit id (hex)' }).describe('The commit for {SHORT_SHA}. Default: $GITHUB_SHA.'),
    timeZone: s
      .string({ minLength: 1 })
      .describe('Time zone of {BUILD_DATE_TIME}, an IANA name such as Asia/Seoul. Default: UTC.'),
  },
  ['format'],
  {
    validate: (v, p, ctx) => {
      if ((v.image === undefined) === (v.images === undefined))
        ctx.issues.push({ path: p, message: `has ${v.image === undefined ? 'neither image nor images' : 'both image and images'}; expected one of them` });
      if (v.image !== undefined) checkImage(v.image, [...p, 'image'], ctx);
      v.images?.forEach((im, i) => checkImage(im, [...p, 'images', i], ctx));
      const unknown = unknownPlaceholders(v.format);
      if (unknown.length) ctx.issues.push({ path: [...p, 'format'], message: `has the unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected ${PLACEHOLDERS.join(', ')}` });
      if (v.timeZone !== undefined && !v.timeZone.includes('$(') && !validTimeZone(v.timeZone))
        ctx.issues.push({ path: [...p, 'timeZone'], message: `is ${JSON.stringify(v.timeZone)}, which is not a time zone this runtime knows; expected an IANA name such as UTC or Asia/Seoul` });
    },
  },
);

export type ImageTagConfig = Infer<typeof schema>;

/** The stage, with the clock it reads {BUILD_DATE_TIME} from (tests pass a fixed one). */
export function makeImageTag(now: () => Date = () => new Date()): StageType<ImageTagConfig> {
  return {
    type: 'image-tag',
    description: 'Computes an image tag from a format ({BUILD_NUMBER}, {BUILD_DATE_TIME}, {SHORT_SHA}, …) and produces docker/image artifacts that deploy binds.',
    schema,
    outputs: {
      tag: 'The tag, e.g. _42 or 2026-03-05_14_30_00.',
      reference: 'The (first) image with its tag, e.g. ghcr.io/acme/web:_42: what docker/build-push-action takes as tags.',
      tags: 'JSON list of every image with its tag, e.g. ["ghcr.io/acme/web:_42","ghcr.io/acme/worker:_42"].',
      buildNumber: 'The build number used, when there is one: also the artifacts\' version.',
    },
    run: (config, ctx) => run(config, ctx, now),
  };
}

export const imageTag = makeImageTag();

async function run(config: ImageTagConfig, ctx: StageContext, now: () => Date) {
  const buildNumber = config.buildNumber ?? (ctx.env.GITHUB_RUN_NUMBER || undefined);
  const tag = formatTag(config.format, {
    buildNumber,
    buildAttempt: ctx.env.GITHUB_RUN_ATTEMPT || undefined,
    sha: config.sha ?? (ctx.env.GITHUB_SHA || undefined),
    date: now(),
    timeZone: config.timeZone ?? 'UTC',
  });
  const images = config.images ?? [config.image!];
  const references = images.map((image) => `${image}:${tag}`);
  ctx.log.info(`tag ${tag} (format ${config.format}${buildNumber ? `, build ${buildNumber}` : ''}): ${references.join(', ')}`);
  // The version is the build number, not the tag: deploy's `image: repo/app:_{BUILD_NUMBER}`
  // picks the artifact with the highest numeric version, and tags such as _42 or a date
  // with a commit id do not order as numbers. Without a build number, the tag it is.
  const artifacts: Artifact[] = images.map((image, i) => ({
    type: ArtifactType.DockerImage,
    name: image,
    version: buildNumber ?? tag,
    reference: references[i]!,
    metadata: { tag, format: config.format },
  }));
  return {
    outputs: { tag, reference: references[0]!, tags: references, ...(buildNumber ? { buildNumber } : {}) },
    artifacts,
  };
}
