/**
 * The worker's side of PII scrubbing (policy and detectors: packages/shared/src/scrub.ts): a
 * result's output and error are scrubbed right before they go to the result writer (after
 * scoring, so scorers see the original output), and the error fields of the log lines of a run
 * with a policy are scrubbed too.
 */
import { addMaskCounts, type Logger, type Scrubber, type StoredResult } from '@runledger/shared';
import { pino } from 'pino';

/**
 * `result` with its `output` and `error.message` scrubbed and the masks counted in `masked`
 * (added to any it had). The same object when `scrubber` is null.
 */
export function scrubResult(result: StoredResult, scrubber: Scrubber | null): StoredResult {
  if (!scrubber) return result;
  const counts: Record<string, number> = {};
  const out: StoredResult = { ...result };
  if (result.output !== undefined) out.output = scrubber.value(result.output, counts);
  if (result.error)
    out.error = { ...result.error, message: scrubber.text(result.error.message, counts) };
  if (Object.keys(counts).length > 0)
    out.masked = addMaskCounts({ ...(result.masked ?? {}) }, counts);
  return out;
}

/**
 * A child of `logger` whose `err` and `error` fields are scrubbed (message, stack and any other
 * string in them) after the parent's serializer ran; `logger` itself when `scrubber` is null.
 * Static log messages are not scrubbed: they hold no item data.
 */
export function scrubbingLogger(logger: Logger, scrubber: Scrubber | null): Logger {
  if (!scrubber) return logger;
  const parent = (logger as unknown as Record<symbol, Record<string, (v: unknown) => unknown>>)[
    pino.symbols.serializersSym
  ];
  const serialize = (key: string) => {
    const base: (v: unknown) => unknown =
      parent?.[key] ?? (key === 'err' ? (v) => pino.stdSerializers.err(v as Error) : (v) => v);
    return (value: unknown) => {
      const plain = base(value);
      const shaped =
        plain instanceof Error ? { message: plain.message, stack: plain.stack } : plain;
      return scrubber.value(shaped, {});
    };
  };
  return logger.child({}, { serializers: { err: serialize('err'), error: serialize('error') } });
}
