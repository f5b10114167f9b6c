/**
 * A top-level list page over a cursor-paged endpoint (/datasets, /experiments): its title, the
 * rows as a table, "Load more" while the API has more pages, and what to do when there is none.
 */
import type { ReactNode } from 'react';
import {
  type CursorPage,
  LoadMore,
  QueryView,
  type RowOf,
  type RowsField,
  useCursorList,
  useTitle,
} from './common';
import { type Column, DataTable } from './data-table';

/**
 * The page `title` (also the tab's title) listing `field` (e.g. `'datasets'`: also the query key
 * and the table's accessible name) of the pages `fetchPage(cursor)` reads, newest first, by
 * `columns`, rows keyed by their `id`; `children` (in `Empty`) when the list is empty.
 */
export function ListPage<
  P extends CursorPage,
  K extends RowsField<P> & string,
  T extends RowOf<P, K> & { id: string },
>(props: {
  title: string;
  fetchPage: (cursor: string | null) => Promise<P>;
  field: K;
  columns: readonly Column<T>[];
  children: ReactNode;
}) {
  const { title, field } = props;
  useTitle(title);
  const { query, rows } = useCursorList([field], props.fetchPage, field);
  return (
    <section>
      <h1>{title}</h1>
      <QueryView query={query} isEmpty={() => rows.length === 0} empty={props.children}>
        {() => <DataTable label={field} columns={props.columns} rows={rows as readonly T[]} />}
      </QueryView>
      <LoadMore query={query}>Load more</LoadMore>
    </section>
  );
}
