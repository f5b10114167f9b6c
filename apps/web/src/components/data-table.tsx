/**
 * A plain table of rows (no virtualisation), rendered from column definitions: one `<th>` per
 * column, one `<tr>` per row. For the dashboard's short tables (a page of 50 runs, versions,
 * scores, workers); a table of thousands of rows is `VirtualTable`'s.
 */
import type { HTMLAttributes, ReactNode, TdHTMLAttributes } from 'react';

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
  const { columns, tr } = props;
  return (
    <table className={props.compact ? 'table compact' : 'table'} aria-label={props.label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.head} title={c.title}>
              {c.head}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={rowKey(row)} {...tr?.(row)}>
            {columns.map((c) => (
              <td key={c.head} {...c.td?.(row)}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
