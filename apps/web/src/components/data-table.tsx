/**
 * The dashboard's tables, on TanStack Table's headless core: every table page describes its
 * columns once (`Column<T>`), `useColumnTable` turns them into TanStack `ColumnDef`s and a table
 * instance, and two renderers draw it. `DataTable` is the plain table (no virtualisation): one
 * `<th>` per column, one `<tr>` per row, for the short tables (a page of 50 runs, versions,
 * scores, workers); a table of thousands of rows is `VirtualTable`'s.
 */
import {
  type CellContext,
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  type RowData,
  type Table,
  useReactTable,
} from '@tanstack/react-table';
import { type HTMLAttributes, type ReactNode, type TdHTMLAttributes, useMemo } from 'react';

/** An element's attributes, `data-*` ones included. */
type Attributes<A> = A & { [data: `data-${string}`]: string | number | undefined };

/** A column of `DataTable` and of `VirtualTable`. */
export interface Column<T> {
  /** The header text; also the column's key (unique within a table). */
  head: string;
  /** The header's tooltip. */
  title?: string;
  /** What the column shows for `row`. */
  cell: (row: T) => ReactNode;
  /** Attributes of the cell of `row` (`className`, `data-testid`, ...); `DataTable` only. */
  td?: (row: T) => Attributes<TdHTMLAttributes<HTMLTableCellElement>>;
  /** The column's CSS grid track in a `VirtualTable` (e.g. `100px`, `minmax(90px, 1fr)`). */
  width?: string;
}

declare module '@tanstack/react-table' {
  /** What a `ColumnDef` made by `useColumnTable` keeps of its `Column` (besides id and header). */
  interface ColumnMeta<TData extends RowData, TValue> {
    title?: string;
    td?: Column<TData>['td'];
    width?: string;
    /** The `Column`'s `cell`. */
    show?: Column<TData>['cell'];
  }
}

/**
 * Every column's cell renderer (`flexRender` renders it as a component): one function for all
 * columns, so that new column definitions (a page building them on each render) do not remount
 * the cells; it shows `meta.show` of the row's original value.
 */
function ColumnCell<T>({ row, column }: CellContext<T, unknown>): ReactNode {
  return column.columnDef.meta?.show?.(row.original);
}

/** `column` as a TanStack column definition: id and header `head`, the rest in `meta`. */
function columnDef<T>({ head, cell, ...meta }: Column<T>): ColumnDef<T> {
  return { id: head, header: head, cell: ColumnCell, meta: { ...meta, show: cell } };
}

/**
 * The TanStack table (core row model only: no sorting, filtering or paging) of `data` by
 * `columns`; row `i` of `table.getRowModel().rows` is `data[i]`, its `id` `rowId(data[i], i)`.
 * `data` may be a new array on every render. Column ids are the `head`s: duplicate heads within
 * one table are the caller's bug.
 */
export function useColumnTable<T>(
  data: readonly T[],
  columns: readonly Column<T>[],
  rowId: (row: T, index: number) => string,
): Table<T> {
  const defs = useMemo(() => columns.map(columnDef), [columns]);
  return useReactTable({
    // TanStack's type asks for a mutable array; it never writes to it
    data: data as T[],
    columns: defs,
    getCoreRowModel: getCoreRowModel(),
    getRowId: rowId,
    // nothing to reset (no paging, no expanding); left on, each new `data` (VirtualTable's, on
    // every render) would queue a page-index reset, a state change, a render: a render loop
    autoResetAll: false,
  });
}

/**
 * The header rows of `table` (one per header group: one for flat columns), each `<tr>` given
 * `tr`'s attributes and each `<th>` `th(meta)`'s, its content the column's header (`head`).
 */
export function headerRows<T extends RowData>(
  table: Table<T>,
  tr: HTMLAttributes<HTMLTableRowElement>,
  th: (meta: ColumnDef<T>['meta']) => HTMLAttributes<HTMLTableCellElement>,
): ReactNode {
  return table.getHeaderGroups().map((group) => (
    <tr key={group.id} {...tr}>
      {group.headers.map((header) => (
        <th key={header.id} {...th(header.column.columnDef.meta)}>
          {flexRender(header.column.columnDef.header, header.getContext())}
        </th>
      ))}
    </tr>
  ));
}

/** A row's React key. */
type RowKey = string | number;

/** What `DataTable` shows: see there. */
interface DataTableProps<T> {
  label: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey?: (row: T) => RowKey;
  tr?: (row: T) => Attributes<HTMLAttributes<HTMLTableRowElement>>;
  compact?: boolean;
}

/**
 * The table `label` (its accessible name) of `rows` by `columns`; rows are keyed by `rowKey`,
 * by default their `id` (rows without an `id` must give `rowKey`); `tr` gives a row's
 * attributes (`className`, `data-*`); `compact`: the tighter table style.
 */
export function DataTable<T extends { id: RowKey }>(props: DataTableProps<T>): ReactNode;
export function DataTable<T>(props: DataTableProps<T> & { rowKey: (row: T) => RowKey }): ReactNode;
export function DataTable<T>(props: DataTableProps<T>): ReactNode {
  const rowKey = props.rowKey ?? ((row: T) => (row as { id: RowKey }).id);
  const { tr } = props;
  const table = useColumnTable(props.rows, props.columns, (row) => String(rowKey(row)));
  return (
    <table className={props.compact ? 'table compact' : 'table'} aria-label={props.label}>
      <thead>{headerRows(table, {}, (meta) => ({ title: meta?.title }))}</thead>
      <tbody>
        {table.getRowModel().rows.map((row) => (
          <tr key={row.id} {...tr?.(row.original)}>
            {row.getVisibleCells().map((cell) => (
              <td key={cell.column.id} {...cell.column.columnDef.meta?.td?.(row.original)}>
                {flexRender(cell.column.columnDef.cell, cell.getContext())}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
