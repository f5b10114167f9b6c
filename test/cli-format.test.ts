/** The CLI's run summary lines (apps/cli/src/format.ts). */
import { describe, expect, it } from 'vitest';
import { statusText } from '../apps/cli/src/format.js';

describe('statusText (runs get, submit --watch summary)', () => {
  it('says a run is being ended while its remaining items are recorded', () => {
    expect(statusText({ status: 'running', ending: 'cancelled' })).toBe(
      'running (being cancelled: the remaining items are recorded as cancelled)',
    );
    expect(statusText({ status: 'queued', ending: 'failed' })).toBe(
      'queued (being failed: the remaining items are recorded as cancelled)',
    );
  });

  it('is the bare status otherwise', () => {
    expect(statusText({ status: 'running', ending: null })).toBe('running');
    expect(statusText({ status: 'completed', ending: null })).toBe('completed');
    // a terminal run never shows an ending, whatever a stale read says
    expect(statusText({ status: 'cancelled', ending: 'cancelled' })).toBe('cancelled');
  });
});
