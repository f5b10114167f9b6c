/**
 * A virtualised table: TanStack Virtual decides which rows are on screen; the header and those
 * rows are rendered by TanStack Table from column definitions (`Column`, as `DataTable`'s, through
 * `useColumnTable`, each with its grid track). Only the visible rows are read (`rows.rowAt`), are
 * the table's data and exist in the DOM, so a 100,000-row table costs what a screenful does;
 * `rows.onRange` tells the owner which rows to fetch.
 * Keyboard (when `keyboard`): `j`/`k` move, `Enter` opens, `Esc` clears the selection.
 */
import { flexRender } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { type Column, headerRows, useColumnTable } from './data-table';

/** The rows of a `VirtualTable`, read by index. */
export interface VirtualRows<T> {
  /** How many rows the table has (including rows not loaded yet). */
  count: number;
  /** Row `index` (a placeholder when not loaded). */
  rowAt: (index: number) => T;
  /** Called with the visible range [start, end] (inclusive, with overscan) when it changes. */
  onRange?: ((start: number, end: number) => void) | undefined;
}

/** Props of `VirtualTable`. */
export interface VirtualTableProps<T> {
  /** Accessible name of the table. */
  label: string;
  /** The columns; each one's `width` is its grid track (default `minmax(0, 1fr)`). */
  columns: readonly Column<T>[];
  rows: VirtualRows<T>;
  /** Height of one row, px. @defaultValue 36 */
  rowHeight?: number;
  /** Opens row `index` (click, or Enter on the selected row). */
  onOpen: (index: number) => void;
  /** Listen to j/k/Enter/Esc on the page. @defaultValue true */
  keyboard?: boolean;
}

const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** The attributes of every header cell. */
const vcell = () => ({ className: 'vcell' });

/** The table; see the module doc. The selected row (click, j/k) is the table's own state. */
export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { onOpen, keyboard = true } = props;
  const { count, rowAt, onRange: onRangeChange } = props.rows;
  const [selected, setSelected] = useState<number | null>(null);
  const rowHeight = props.rowHeight ?? 36;
  const { columns } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const start = items[0]?.index ?? 0;
  const end = items[items.length - 1]?.index ?? -1;
  // the table's data: the visible rows only, row i being items[i] (its id, the row's index)
  const table = useColumnTable(
    items.map((item) => rowAt(item.index)),
    columns,
    (_, i) => String(items[i]?.index),
  );
  const grid = table
    .getVisibleLeafColumns()
    .map((c) => c.columnDef.meta?.width ?? 'minmax(0, 1fr)')
    .join(' ');

  useEffect(() => {
    if (end >= start) onRangeChange?.(start, end);
  }, [start, end, onRangeChange]);

  // keyboard: j/k move, Enter opens, Esc clears
  const state = useRef({ selected, count });
  state.current = { selected, count };
  useEffect(() => {
    if (!keyboard) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey || typing(e.target)) return;
      const { selected: sel, count: n } = state.current;
      if (n === 0) return;
      let next: number | null = null;
      if (e.key === 'j') next = sel === null ? 0 : Math.min(n - 1, sel + 1);
      else if (e.key === 'k') next = sel === null ? 0 : Math.max(0, sel - 1);
      else if (e.key === 'Enter' && sel !== null) {
        e.preventDefault();
        onOpen(sel);
        return;
      } else if (e.key === 'Escape' && sel !== null) {
        setSelected(null);
        return;
      } else return;
      e.preventDefault();
      // the next key may come before React renders this selection: it must see it already
      state.current = { selected: next, count: n };
      setSelected(next);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [keyboard, onOpen, virtualizer]);

  return (
    <div
      ref={scrollRef}
      className="vtable"
      style={{ height: `min(70vh, ${count * rowHeight + 40}px)`, minHeight: 80 }}
    >
      <table aria-label={props.label} aria-rowcount={count}>
        <thead>
          {headerRows(
            table,
            { className: 'vrow vrow-head', style: { gridTemplateColumns: grid } },
            vcell,
          )}
        </thead>
        <tbody style={{ height: virtualizer.getTotalSize() }}>
          {table.getRowModel().rows.map((row, i) => {
            const item = items[i]!;
            return (
              <tr
                key={item.key}
                aria-rowindex={item.index + 2}
                aria-selected={selected === item.index}
                data-index={item.index}
                className={`vrow${selected === item.index ? ' vrow-selected' : ''}`}
                style={{
                  gridTemplateColumns: grid,
                  height: rowHeight,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={() => {
                  setSelected(item.index);
                  onOpen(item.index);
                }}
              >
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.column.id} className="vcell">
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
