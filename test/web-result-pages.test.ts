/**
 * Which pages of results the dashboard's results table keeps (apps/web/src/result-pages.ts):
 * the pages on screen and the few most recently on screen, nothing else, whatever was scrolled
 * past before.
 */
import { describe, expect, it } from 'vitest';
import { keepPages, pagesOf } from '../apps/web/src/result-pages.js';

describe('pagesOf', () => {
  it('lists the pages covering a row range', () => {
    expect(pagesOf(0, 40, 100)).toEqual([0]);
    expect(pagesOf(0, 99, 100)).toEqual([0]);
    expect(pagesOf(99, 100, 100)).toEqual([0, 1]);
    expect(pagesOf(1488, 1529, 100)).toEqual([14, 15]);
    expect(pagesOf(250, 610, 100)).toEqual([2, 3, 4, 5, 6]);
    expect(pagesOf(5, 4, 100)).toEqual([]);
  });
});

describe('keepPages', () => {
  it('keeps the visible pages and the 2 most recently visible others', () => {
    let kept: readonly number[] = [0];
    const visits = [[0, 1], [1], [1, 2], [2], [3], [4], [5, 6], [40], [41]];
    const seen: (readonly number[])[] = [];
    for (const visible of visits) {
      kept = keepPages(visible, kept, 2);
      seen.push(kept);
    }
    expect(seen).toEqual([
      [0, 1],
      [1, 0],
      [1, 2, 0],
      [2, 1, 0],
      [3, 2, 1],
      [4, 3, 2],
      [5, 6, 4, 3],
      [40, 5, 6],
      [41, 40, 5],
    ]);
  });

  it('scrolling through 50 pages one at a time ends holding 3 of them', () => {
    let kept: readonly number[] = [];
    for (let p = 0; p < 50; p++) kept = keepPages([p], kept, 2);
    expect(kept).toEqual([49, 48, 47]);
  });

  it('answers the same array when nothing changes (a state setter bails out)', () => {
    const kept = [3, 2, 1];
    expect(keepPages([3], kept, 2)).toBe(kept);
    expect(keepPages([2], kept, 2)).toEqual([2, 3, 1]);
    expect(keepPages([3], [3], 0)).toEqual([3]);
    expect(keepPages([4], [3, 2], 0)).toEqual([4]);
  });
});
