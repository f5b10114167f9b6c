/**
 * Which pages of a run's results the results table keeps in memory (pure; used by
 * components/results-table.tsx). The table reads results in pages of `pageSize` rows by item
 * index; it keeps the pages on screen and, so that scrolling back a little needs no request, the
 * `extra` pages most recently on screen. Every other page is dropped from the query cache at once,
 * so what a table holds is bounded by a count of pages, not by how long ago it was scrolled past
 * (a run of large items held ~90 MB after scrolling through 5,000 rows otherwise).
 */

/**
 * The page numbers covering rows `start..end` (inclusive, item indexes), ascending; empty when
 * `end < start`. Page `p` holds rows `p * pageSize .. (p + 1) * pageSize - 1`.
 */
export function pagesOf(start: number, end: number, pageSize: number): number[] {
  const out: number[] = [];
  if (end < start) return out;
  for (let p = Math.floor(Math.max(0, start) / pageSize); p <= Math.floor(end / pageSize); p++)
    out.push(p);
  return out;
}

/**
 * The pages to keep after `visible` came on screen, most recent first: `visible` (in its order),
 * then the pages of `kept` (the previous answer) not visible now, at most `extra` of them.
 * Returns `kept` itself when nothing changes, so a React state setter can bail out.
 */
export function keepPages(
  visible: readonly number[],
  kept: readonly number[],
  extra: number,
): readonly number[] {
  const shown = new Set(visible);
  const next = [...visible, ...kept.filter((p) => !shown.has(p)).slice(0, Math.max(0, extra))];
  return next.length === kept.length && next.every((p, i) => p === kept[i]) ? kept : next;
}
