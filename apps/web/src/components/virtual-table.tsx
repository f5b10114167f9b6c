/**
 * A virtualised table: TanStack Virtual decides which rows are on screen, TanStack Table renders
 * the header and those rows from column definitions. Only the visible rows exist in the DOM and
 * in the table model, so a 100,000-row table costs what a screenful does; `onRangeChange` tells
 * the owner which rows to fetch. Keyboard (when `keyboard`): `j`/`k` move, `Enter` opens, `Esc`
 * clears the selection.
 */
import { type ColumnDef, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';

/** Props of `VirtualTable`. */
export interface VirtualTableProps<T> {
  /** Accessible name of the table. */
  label: string;
  // biome-ignore lint/suspicious/noExplicitAny: TanStack column value types vary per column
  columns: ColumnDef<T, any>[];
  /** CSS grid-template-columns of the rows (one entry per column). */
  grid: string;
  /** How many rows the table has (including rows not loaded yet). */
  count: number;
  /** Row `index` (a placeholder when not loaded). */
  rowAt: (index: number) => T;
  /** Height of one row, px. @defaultValue 36 */
  rowHeight?: number;
  /** The selected row, or null. */
  selected: number | null;
  onSelect: (index: number | null) => void;
  /** Opens row `index` (click, or Enter on the selected row). */
  onOpen: (index: number) => void;
  /** Called with the visible range [start, end] (inclusive, with overscan) when it changes. */
  onRangeChange?: (start: number, end: number) => void;
  /** Listen to j/k/Enter/Esc on the page. @defaultValue true */
  keyboard?: boolean;
}

const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** The table; see the module doc. */
export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { count, rowAt, selected, onSelect, onOpen, onRangeChange, keyboard = true } = props;
  const rowHeight = props.rowHeight ?? 36;
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

  useEffect(() => {
    if (end >= start) onRangeChange?.(start, end);
  }, [start, end, onRangeChange]);

  // the table models the visible rows only
  const data = items.map((item) => rowAt(item.index));
  const table = useReactTable({
    data,
    columns: props.columns,
    getCoreRowModel: getCoreRowModel(),
    // the data changes on every scroll: no pagination state to reset (its reset re-renders,
    // which made new data, which reset it again: an endless render loop)
    autoResetPageIndex: false,
    manualPagination: true,
  });
  const rows = table.getRowModel().rows;

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
        onSelect(null);
        return;
      } else return;
      e.preventDefault();
      // the next key may come before React renders this selection: it must see it already
      state.current = { selected: next, count: n };
      onSelect(next);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [keyboard, onOpen, onSelect, virtualizer]);

  return (
    <div
      ref={scrollRef}
      className="vtable"
      style={{ height: `min(70vh, ${count * rowHeight + 40}px)`, minHeight: 80 }}
    >
      <table aria-label={props.label} aria-rowcount={count}>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr
              key={group.id}
              className="vrow vrow-head"
              style={{ gridTemplateColumns: props.grid }}
            >
              {group.headers.map((header) => (
                <th key={header.id} className="vcell">
                  {header.isPlaceholder
                    ? null
                    : flexRender(header.column.columnDef.header, header.getContext())}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item, k) => {
            const row = rows[k];
            if (!row) return null;
            return (
              <tr
                key={item.key}
                aria-rowindex={item.index + 2}
                aria-selected={selected === item.index}
                data-index={item.index}
                className={`vrow${selected === item.index ? ' vrow-selected' : ''}`}
                style={{
                  gridTemplateColumns: props.grid,
                  height: rowHeight,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={() => {
                  onSelect(item.index);
                  onOpen(item.index);
                }}
              >
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id} className="vcell">
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
