/**
 * Cost of PII scrubbing (packages/shared/src/scrub.ts), in process, no Redis: items per second
 * scrubbed by `Scrubber.value` (what the API does to each item at submission and the worker to
 * each output) for each detector alone and all together, and the time of one long text
 * (prose, and digit-heavy text, where phone detection dominates).
 *
 * Usage: npx tsx --conditions=@runledger/source bench/scrub.ts [--items 20000] [--kb 100]
 */
import { SCRUB_KINDS, Scrubber, type ScrubKind } from '@runledger/shared';
import { benchFlags, printCommand } from './bench-setup.js';

const { items: n, kb } = benchFlags({ items: 20_000, kb: 100 });

/** A typical eval item (~700 bytes of JSON): a question, some context, one email, an answer. */
const item = (i: number) => ({
  input: {
    question: `What is the capital of country ${i}? Reply to ann${i}@example.com.`,
    context: 'The capital city hosts the government, 12 ministries and 3.4 million people. '.repeat(
      8,
    ),
  },
  expectedOutput: `City ${i}`,
  metadata: { source: 'atlas', page: i },
});
const items = Array.from({ length: n }, (_, i) => item(i));
const prose = 'The quick brown fox jumps over the lazy dog near ann@example.com. '.repeat(
  Math.ceil((kb * 1024) / 66),
);
const digits = 'lorem 12.5 2024-01-02 ipsum '.repeat(Math.ceil((kb * 1024) / 28));

const row = (name: string, kinds: ScrubKind[]) => {
  const scrubber = new Scrubber({ scrub: kinds, patterns: [], phoneRegion: 'US' });
  const t0 = performance.now();
  for (const it of items) scrubber.value(it, {});
  const perSecond = Math.round(n / ((performance.now() - t0) / 1000));
  const time = (text: string) => {
    const t = performance.now();
    scrubber.text(text, {});
    return (performance.now() - t).toFixed(1);
  };
  console.log(
    `${name.padEnd(8)} ${String(perSecond).padStart(8)} items/s   ${kb} kB prose ${time(prose).padStart(7)} ms   ${kb} kB digits ${time(digits).padStart(7)} ms`,
  );
};

console.log(`${n} items of ~${JSON.stringify(items[0]).length} bytes JSON; one core`);
for (const kind of SCRUB_KINDS) row(kind, [kind]);
row('all', [...SCRUB_KINDS]);
printCommand();
