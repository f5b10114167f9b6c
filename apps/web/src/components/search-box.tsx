/**
 * Debounced text for search boxes whose value lives in the URL: the box answers every key at
 * once, the URL (and the query it drives) changes once typing pauses.
 */
import { useEffect, useRef, useState } from 'react';

/** How long typing must pause before a search is sent, ms. */
export const SEARCH_DEBOUNCE_MS = 300;

/**
 * `[text, setText]` for an input showing `value` (e.g. the URL's `q`): `setText` updates the box
 * at once and calls `commit(text)` once no key came for `ms`; a new `value` from outside (back
 * button, a "clear" link) replaces the text.
 */
export function useDebounced(
  value: string,
  commit: (text: string) => void,
  ms = SEARCH_DEBOUNCE_MS,
): [string, (text: string) => void] {
  const [text, setText] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(commit);
  latest.current = commit;
  useEffect(() => {
    setText(value);
  }, [value]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const update = (next: string) => {
    setText(next);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current(next.trim());
    }, ms);
  };
  return [text, update];
}
