/**
 * Checks made when a run is submitted (`POST /v1/runs` JSON and NDJSON, experiments, reruns and
 * replays), so that a mistake is a 400 at once instead of a run that waits or fails minutes later:
 * - the target is served by a live worker (unless `execution.waitForWorkers`);
 * - `target.config` fits the target's config schema: built-ins from `BUILTIN_TARGET_CONFIGS`,
 *   registered targets from the JSON Schema their live workers advertise (`configSchema`);
 * - the URL of an `http` (`config.url`) or `openai` (`config.baseUrl`) target passes the API's
 *   `RUNLEDGER_HTTP_TARGET_ALLOW` as far as it can be told without DNS (`checkTargetUrl`);
 * - every scorer is built in or registered by a live worker.
 * One `store.fleet.listWorkers` call per submission serves every check.
 */
import {
  BUILTIN_SCORERS,
  BUILTIN_TARGET_CONFIGS,
  type Config,
  checkTargetUrl,
  parseTargetAllow,
  type RunStore,
  redactUrl,
  type ScorerRef,
  type TargetAllow,
  type TargetRef,
  ValidationError,
  type WorkerInfo,
} from '@runledger/shared';
import { z } from 'zod';
import type { FieldError } from './problem.js';

/** One target of a submission to check. */
export interface TargetCheck {
  target: TargetRef;
  /** Dotted path of the target in the request body: `target`, or `variants.2.target`. */
  path: string;
  /** The run's `execution.waitForWorkers`: accept the target even when no live worker serves it. */
  waitForWorkers: boolean;
}

/** What one submission asks to check. */
export interface SubmissionChecks {
  targets: TargetCheck[];
  /** The submission's scorers; errors point at `scorers.<index>.name`. */
  scorers: readonly ScorerRef[];
  /** Appended to every message, e.g. ` (line 1)` for an NDJSON header. */
  where?: string;
}

/** Config keys holding the URL that a built-in target calls. */
export const TARGET_URL_FIELDS: Readonly<Record<string, string>> = {
  http: 'url',
  openai: 'baseUrl',
};

/** Max JSON Schemas kept rebuilt as zod schemas (least recently added dropped first). */
const SCHEMA_CACHE_SIZE = 200;
/** Advertised JSON Schema (as JSON text) -> its zod schema, or null when zod cannot rebuild it. */
const schemaCache = new Map<string, z.ZodType | null>();

/**
 * The zod schema of an advertised JSON Schema (`z.fromJSONSchema`), cached by its JSON text;
 * null when zod cannot rebuild it (the config is then not checked at submit).
 */
export function advertisedConfigSchema(jsonSchema: Record<string, unknown>): z.ZodType | null {
  const key = JSON.stringify(jsonSchema);
  const cached = schemaCache.get(key);
  if (cached !== undefined) return cached;
  let schema: z.ZodType | null;
  try {
    const input = withDefaultsOptional(jsonSchema) as Parameters<typeof z.fromJSONSchema>[0];
    schema = z.fromJSONSchema(input) as z.ZodType;
  } catch {
    schema = null;
  }
  if (schemaCache.size >= SCHEMA_CACHE_SIZE) {
    const oldest = schemaCache.keys().next().value;
    if (oldest !== undefined) schemaCache.delete(oldest);
  }
  schemaCache.set(key, schema);
  return schema;
}

/**
 * A copy of JSON Schema `schema` where no object requires a property that has a `default`:
 * `z.toJSONSchema` in its default (output) mode lists such properties as required, yet a config
 * may leave them out (the worker's zod schema fills them in).
 */
export function withDefaultsOptional(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withDefaultsOptional);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `default`, `const`, `enum` and `examples` hold values, not schemas
    out[key] = ['default', 'const', 'enum', 'examples'].includes(key)
      ? value
      : withDefaultsOptional(value);
  }
  const properties = out.properties as Record<string, unknown> | undefined;
  if (Array.isArray(out.required) && properties && typeof properties === 'object') {
    out.required = (out.required as unknown[]).filter((name) => {
      const property = typeof name === 'string' ? properties[name] : undefined;
      return !(property && typeof property === 'object' && 'default' in property);
    });
  }
  return out;
}

/**
 * Runs every check of `checks` against the live workers (one `listWorkers` call).
 * @throws ValidationError 400 (`kind: validation`) listing every offending field: `<target>.name`
 *   (unknown target), `<target>.config.<key>` (config against the schema, refused URL),
 *   `scorers.<i>.name` (unknown scorer).
 */
export async function checkSubmission(
  deps: { config: Config; store: RunStore },
  checks: SubmissionChecks,
): Promise<void> {
  const workers = await deps.store.fleet.listWorkers(3 * deps.config.WORKER_HEARTBEAT_MS);
  const where = checks.where ?? '';
  const errors: FieldError[] = [];
  const allow = targetAllow(deps.config.RUNLEDGER_HTTP_TARGET_ALLOW);
  for (const check of checks.targets) errors.push(...checkTarget(check, workers, allow, where));
  errors.push(...checkScorers(checks.scorers, workers, where));
  if (errors.length > 0) {
    throw new ValidationError(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
}

/** The last `RUNLEDGER_HTTP_TARGET_ALLOW` parsed, so a submission does not parse it again. */
let parsedAllow: { value: string; allow: TargetAllow } | null = null;

function targetAllow(value: string): TargetAllow {
  if (parsedAllow?.value !== value) parsedAllow = { value, allow: parseTargetAllow(value) };
  return parsedAllow.allow;
}

/** Sorted, unique names of the targets live workers serve. */
export function servedTargets(workers: readonly WorkerInfo[]): string[] {
  return [...new Set(workers.flatMap((w) => w.targets.map((t) => t.name)))].sort();
}

function checkTarget(
  { target, path, waitForWorkers }: TargetCheck,
  workers: readonly WorkerInfo[],
  allow: TargetAllow,
  where: string,
): FieldError[] {
  const name = target.name;
  const serving = workers.flatMap((w) => w.targets.filter((t) => t.name === name));
  if (serving.length === 0 && !waitForWorkers) {
    const served = servedTargets(workers);
    const message =
      served.length > 0
        ? `unknown target "${name}" (served now: ${served.join(', ')})${where}`
        : `unknown target "${name}" (served now: none)${where}: no worker is live; start one (\`runledger worker\`, or \`runledger start\` for API and worker in one process) or set execution.waitForWorkers: true to queue the run until a worker serves it`;
    return [{ path: `${path}.name`, message }];
  }
  const config = target.config ?? {};
  const configPath = `${path}.config`;
  // own properties only: a target may be called `constructor` or `toString`
  const builtin = Object.hasOwn(BUILTIN_TARGET_CONFIGS, name)
    ? BUILTIN_TARGET_CONFIGS[name]
    : undefined;
  const schemas = builtin
    ? [builtin]
    : [
        ...new Set(
          serving.map((t) => (t.configSchema ? advertisedConfigSchema(t.configSchema) : null)),
        ),
      ];
  // no schema known (registered target, no live worker advertising one): not checked here
  if (schemas.length > 0 && schemas.every((s) => s !== null)) {
    let firstErrors: FieldError[] | null = null;
    for (const schema of schemas as z.ZodType[]) {
      const parsed = schema.safeParse(config);
      if (parsed.success) {
        firstErrors = null;
        break;
      }
      firstErrors ??= configErrors(parsed.error, schema, config, name, configPath, where);
    }
    if (firstErrors) return firstErrors;
  }
  const urlField = Object.hasOwn(TARGET_URL_FIELDS, name) ? TARGET_URL_FIELDS[name] : undefined;
  const value = urlField ? config[urlField] : undefined;
  if (urlField && typeof value === 'string') {
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      // not a URL: the config schema says so (a registered look-alike is not checked)
    }
    const refusal = url ? checkTargetUrl(allow, url, redactUrl(value)) : null;
    if (refusal) return [{ path: `${configPath}.${urlField}`, message: `${refusal}${where}` }];
  }
  return [];
}

/** The issues of a config that failed `schema`, one field error each (unknown keys: one per key). */
function configErrors(
  error: z.ZodError,
  schema: z.ZodType,
  config: Record<string, unknown>,
  target: string,
  configPath: string,
  where: string,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const known =
        at.length === 0 && schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      const allowed = known.length > 0 ? ` (allowed: ${known.join(', ')})` : '';
      for (const key of issue.keys) {
        // a target with `params` (openai) passes model parameters through it: a top-level
        // `temperature` is most likely one of them
        const hint = known.includes('params')
          ? `; a model parameter goes in params: {"params": {"${key}": ...}}`
          : '';
        errors.push({
          path: [configPath, ...at, key].join('.'),
          message: `unknown config key "${key}" for target "${target}"${allowed}${hint}${where}`,
        });
      }
      continue;
    }
    const path = [configPath, ...at].join('.');
    const missing = issue.code === 'invalid_type' && valueAt(config, issue.path) === undefined;
    errors.push({
      path,
      message: missing
        ? `required: target "${target}" needs ${path}${where}`
        : `${issue.message}${where}`,
    });
  }
  return errors;
}

/** The value at `path` inside `value`, or undefined. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function checkScorers(
  scorers: readonly ScorerRef[],
  workers: readonly WorkerInfo[],
  where: string,
): FieldError[] {
  const builtin = new Set<string>(BUILTIN_SCORERS);
  const advertised = new Set(workers.flatMap((w) => w.scorers.map((s) => s.name)));
  return scorers
    .map((s, index) => ({ name: s.name, index }))
    .filter((s) => !builtin.has(s.name) && !advertised.has(s.name))
    .map((s) => ({
      path: `scorers.${s.index}.name`,
      message: `unknown scorer "${s.name}": not built in (${BUILTIN_SCORERS.join(', ')}) and not registered by any live worker${where}`,
    }));
}
