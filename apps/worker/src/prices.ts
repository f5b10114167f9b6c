/**
 * The price table (`RUNLEDGER_PRICES`): USD per million tokens per model, turning a result's
 * token usage into `costUsd` when its target reports no cost itself.
 */
import { readFileSync } from 'node:fs';
import type { StoredResult } from '@runledger/shared';
import { z } from 'zod';

/** Prices of one model, USD per million tokens. */
export const ModelPriceSchema = z
  .object({
    inputPerMTok: z.number().nonnegative(),
    outputPerMTok: z.number().nonnegative(),
  })
  .strict();
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/** `{ "<model>": { inputPerMTok, outputPerMTok } }`. */
export const PriceTableSchema = z.record(z.string().min(1), ModelPriceSchema);
/** Prices by model name (exact match). */
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** A price table or target limits value that cannot be read or is invalid. */
export class WorkerTableError extends Error {
  override name = 'WorkerTableError';
}

/**
 * Reads a JSON table from an env value: inline JSON when it starts with `{`, else a file path
 * (resolved against the working directory). '' gives `{}`.
 * @throws WorkerTableError naming `variable`, with the file or JSON error or each invalid field path.
 */
export function readJsonTable<T>(variable: string, value: string, schema: z.ZodType<T>): T {
  const raw = value.trim();
  if (raw === '') return schema.parse({});
  let text = raw;
  if (!raw.startsWith('{')) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (err) {
      throw new WorkerTableError(`${variable}: cannot read ${raw}: ${(err as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new WorkerTableError(`${variable}: invalid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new WorkerTableError(`${variable}: ${detail}`);
  }
  return parsed.data;
}

/**
 * Parses `RUNLEDGER_PRICES` (inline JSON or a file path; '' = no prices).
 * @throws WorkerTableError when the file cannot be read or the table is invalid.
 */
export function loadPriceTable(value: string): PriceTable {
  return readJsonTable('RUNLEDGER_PRICES', value, PriceTableSchema);
}

/**
 * Cost of `inputTokens` and `outputTokens` at `price`, USD:
 * `inputTokens / 1e6 * inputPerMTok + outputTokens / 1e6 * outputPerMTok`.
 */
export function costOf(price: ModelPrice, inputTokens: number, outputTokens: number): number {
  return (inputTokens / 1e6) * price.inputPerMTok + (outputTokens / 1e6) * price.outputPerMTok;
}

/**
 * A priced copy of a succeeded result (`result` itself is not changed): `usage.model` set (from
 * the target's usage, else the string `config.model`) and, when the target reported no `costUsd`
 * and the model is in `prices`, `costUsd = costOf(price, usage)`. Returns `result` itself when
 * there is nothing to price (no usage, or no model).
 */
export function pricedResult(
  result: StoredResult,
  reportedModel: string | undefined,
  config: Record<string, unknown>,
  prices: PriceTable,
): StoredResult {
  if (!result.usage) return result;
  const model =
    reportedModel ?? (typeof config.model === 'string' && config.model ? config.model : undefined);
  if (model === undefined) return result;
  const usage = { ...result.usage, model };
  if (result.costUsd !== undefined) return { ...result, usage };
  const price = Object.hasOwn(prices, model) ? prices[model] : undefined;
  if (!price) return { ...result, usage };
  return { ...result, usage, costUsd: costOf(price, usage.inputTokens, usage.outputTokens) };
}
