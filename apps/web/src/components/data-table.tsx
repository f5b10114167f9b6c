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

/**
 * The table `label` (its accessible name) of `rows` by `columns`; `rowKey` keys a row, `tr` gives
 * a row's attributes (`className`, `data-*`); `compact`: the tighter table style.
 */
export function DataTable<T>(props: {
  label: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  tr?: (row: T) => Attributes<HTMLAttributes<HTMLTableRowElement>>;
  compact?: boolean;
}) {
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
          <tr key={props.rowKey(row)} {...tr?.(row)}>
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
