/** Reading a run's cost, shared by the CLI and the dashboard. */
import type { Unpriced } from './types.js';

/**
 * What the `costUsd` of a run (or an experiment variant) leaves out, for people: its results
 * with token usage and no price (`Run.unpriced`, `VariantSummary.unpriced`), e.g. `191 results
 * with token usage have no price (model "toy-1"): set RUNLEDGER_PRICES on the workers`; null
 * when every result with tokens was priced.
 */
export function unpricedNote(of: { unpriced: Unpriced }): string | null {
  const { results, model } = of.unpriced;
  if (results === 0) return null;
  const what = `${results} result${results === 1 ? '' : 's'} with token usage ${results === 1 ? 'has' : 'have'} no price`;
  return model === null
    ? `${what} and no model to price by (the target reports none)`
    : `${what} (model "${model}"): set RUNLEDGER_PRICES on the workers`;
}
