/**
 * Output against expected output: a word diff (jsdiff `diffWords`) for strings, a line diff of
 * the canonical JSON (jsdiff `diffJson`) for anything else. Text only, shown in full.
 */
import { useMemo } from 'react';
import { computeDiff } from '../diff';

/** The diff, removed (expected only) struck through, added (output only) highlighted. */
export function DiffView({ expected, actual }: { expected: unknown; actual: unknown }) {
  const changes = useMemo(() => computeDiff(expected, actual), [expected, actual]);
  const same = changes.every((c) => !c.added && !c.removed);
  return (
    <div className="diff" data-testid="diff">
      <div className="diff-legend">
        {same ? (
          <span>output equals the expected output</span>
        ) : (
          <>
            <del>expected only</del> <ins>output only</ins>
          </>
        )}
      </div>
      <pre className="diff-body">
        {changes.map((change, i) =>
          change.added ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: the diff is recomputed whole
            <ins key={i}>{change.value}</ins>
          ) : change.removed ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: the diff is recomputed whole
            <del key={i}>{change.value}</del>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: the diff is recomputed whole
            <span key={i}>{change.value}</span>
          ),
        )}
      </pre>
    </div>
  );
}
