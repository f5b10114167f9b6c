/**
 * `/v1/datasets`: named datasets of the request's project with immutable, numbered versions.
 * Create (version 1), list, get (meta + versions), page through a version's items, add a version
 * (append to or replace the latest items), delete. Runs reference a version with
 * `dataset: { id, version? }` and no `items` (see ../create-run.ts); they copy its items, so
 * deleting a dataset never changes a run.
 */
import { z } from '@hono/zod-openapi';
import {
  ConflictError,
  DATASET_ID_PATTERN,
  type Dataset,
  type DatasetStore,
  type Item,
  ItemSchema,
  PayloadTooLargeError,
  type PrivacyOption,
  PrivacySchema,
  parseDatasetVersion,
  scrubberFor,
} from '@runledger/shared';
import { ulid } from 'ulid';
import { type AppDeps, createRouter, limitBody, projectOf } from '../context.js';
import { encodeItem, submitPrivacy } from '../create-run.js';
import { notFound } from '../problem.js';
import {
  created,
  jsonBody,
  jsonResponse,
  noContent,
  ok,
  pageQuery,
  v1Route,
  v1RoutesOn,
} from './openapi.js';

const DatasetVersionSchema = z
  .object({
    version: z.number().int(),
    itemCount: z.number().int(),
    contentHash: z.string().openapi({ example: 'sha256:3f2a9c0d1e4b5a6f' }),
    createdAt: z.string(),
  })
  .openapi('DatasetVersion');

const DatasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    project: z.string(),
    latestVersion: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    versions: z.array(DatasetVersionSchema),
  })
  .openapi('Dataset');

const DatasetChangeSchema = DatasetSchema.extend({
  /**
   * True when the request added a version (201); false when the content hash equalled the
   * latest version's, which is answered as it is (200, no duplicate version).
   */
  created: z.boolean(),
}).openapi('DatasetChange');

const DatasetList = z
  .object({ datasets: z.array(DatasetSchema), nextCursor: z.string().nullable() })
  .openapi('DatasetList');

const DatasetItemList = z
  .object({
    datasetId: z.string(),
    version: z.number().int(),
    items: z.array(
      z.object({
        index: z.number().int(),
        id: z.string(),
        input: z.unknown(),
        expectedOutput: z.unknown().optional(),
        metadata: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('DatasetItemList');

const datasetId = z
  .string()
  .regex(DATASET_ID_PATTERN, 'must be 1-128 letters, digits, "_", "-" or "."');

const CreateDatasetBody = z
  .strictObject({
    id: datasetId.optional().openapi({ description: 'Default: a new ULID' }),
    name: z.string().min(1).max(200),
    items: z.array(ItemSchema).min(1),
    privacy: PrivacySchema.optional().openapi({
      description:
        'Scrub the items before they are stored (default `RUNLEDGER_SCRUB`); runs over the dataset scrub their copy again with their own policy.',
    }),
  })
  .openapi('CreateDataset');

const AddItemsBody = z
  .strictObject({
    items: z.array(ItemSchema).min(1),
    mode: z.enum(['append', 'replace']).default('append'),
    name: z.string().min(1).max(200).optional().openapi({ description: 'Rename the dataset' }),
    privacy: PrivacySchema.optional().openapi({
      description:
        'Scrub the new items before they are stored (default `RUNLEDGER_SCRUB`); items kept from the previous version are not scrubbed again.',
    }),
  })
  .openapi('AddDatasetItems');

const IdParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'capitals' }),
});
/** Declarer of the routes on one dataset (`:id`). */
const onDataset = v1RoutesOn('datasets', IdParams);
const VersionParams = IdParams.extend({
  version: z.string().openapi({
    param: { name: 'version', in: 'path' },
    example: '3',
    description: '`3`, `v3` or `latest`',
  }),
});
/** Cursors of the dataset list and of a version's items: an offset. */
const OFFSET_CURSOR = /^\d{1,10}$/;
const PageQuery = pageQuery(1000, 100, OFFSET_CURSOR);
const ListQuery = pageQuery(500, 50, OFFSET_CURSOR);

const datasetNotFound = (id: string, version?: string) =>
  notFound(version ? `dataset ${id} version ${version} not found` : `dataset ${id} not found`);

/**
 * Validates and writes one version's items: ids unique across the whole version (400 at
 * `items.N.id`), at most `RUNLEDGER_MAX_ITEMS` items and `RUNLEDGER_MAX_ITEM_BYTES` per item
 * (413), as for runs; scrubbed by `privacy` (else `RUNLEDGER_SCRUB`) first, masks not counted.
 */
async function writeItems(
  deps: AppDeps,
  writer: ReturnType<DatasetStore['writer']>,
  items: Item[],
  ids: Map<string, number>,
  privacy: PrivacyOption | undefined,
): Promise<void> {
  const scrubber = scrubberFor(submitPrivacy(deps.config, privacy));
  const { RUNLEDGER_MAX_ITEMS: maxItems, RUNLEDGER_MAX_ITEM_BYTES: maxBytes } = deps.config;
  if (writer.count + items.length > maxItems) {
    const message = `a dataset version holds at most ${maxItems} items (it would hold ${writer.count + items.length})`;
    throw new PayloadTooLargeError(message, [{ path: 'items', message }]);
  }
  for (const [j, item] of items.entries()) {
    const { json } = encodeItem(
      item,
      writer.count,
      ids,
      maxBytes,
      () => ({ path: `items.${j}`, firstOf: ' of the version' }),
      { scrubber, count: false },
    );
    await writer.add(json);
  }
}

/** The `/v1/datasets` router. */
export function createDatasetRoutes(deps: AppDeps) {
  const { config } = deps;
  const { datasets } = deps.store;
  const limitJson = limitBody(config.RUNLEDGER_MAX_BODY_BYTES);

  /** The dataset or a 404 (ids that cannot be dataset ids answer 404 without a Redis call). */
  const mustGet = async (project: string, id: string): Promise<Dataset> => {
    if (!DATASET_ID_PATTERN.test(id)) throw datasetNotFound(id);
    const dataset = await datasets.getDataset(project, id);
    if (!dataset) throw datasetNotFound(id);
    return dataset;
  };

  const createDatasetRoute = v1Route('datasets', 'post', '/', {
    operationId: 'createDataset',
    summary: 'Create a dataset (version 1)',
    middleware: [limitJson] as const,
    request: { body: jsonBody(CreateDatasetBody) },
    responses: created(
      'Created, with version 1 (`created: true`)',
      DatasetChangeSchema,
      400,
      409,
      413,
    ),
  });

  const listDatasetsRoute = v1Route('datasets', 'get', '/', {
    operationId: 'listDatasets',
    summary: "List the project's datasets, oldest first",
    request: { query: ListQuery },
    responses: ok('A page of datasets', DatasetList, 400),
  });

  const getDatasetRoute = onDataset('get', '/{id}', {
    operationId: 'getDataset',
    summary: 'Get a dataset and its versions',
    responses: ok('The dataset', DatasetSchema),
  });

  const listItemsRoute = v1Route('datasets', 'get', '/{id}/versions/{version}/items', {
    operationId: 'listDatasetVersionItems',
    summary: "Page through a version's items in order",
    request: { params: VersionParams, query: PageQuery },
    responses: ok('A page of items', DatasetItemList, 400, 404),
  });

  const addItemsRoute = onDataset('post', '/{id}/items', {
    operationId: 'addDatasetVersion',
    summary: 'Add a version: append items to the latest version, or replace them',
    description:
      '`append`: the latest items followed by the given ones (ids must stay unique: 400 at ' +
      '`items.N.id`); `replace`: the given items only. When the new content hash equals the ' +
      "latest version's, no version is added: 200 with the dataset as it is and `created: false` " +
      '(a `name` still renames). 409 when another version was added meanwhile.',
    middleware: [limitJson] as const,
    request: { body: jsonBody(AddItemsBody) },
    responses: {
      ...created(
        'The dataset with its new version (`created: true`)',
        DatasetChangeSchema,
        400,
        409,
        413,
      ),
      200: jsonResponse(
        'Unchanged content: the latest version already holds exactly these items (`created: false`); nothing was added',
        DatasetChangeSchema,
      ),
    },
  });

  const deleteDatasetRoute = onDataset('delete', '/{id}', {
    operationId: 'deleteDataset',
    summary: 'Delete a dataset and every version (runs keep their own copy of the items)',
    responses: noContent('Deleted'),
  });

  return createRouter()
    .openapi(createDatasetRoute, async (c) => {
      const body = c.req.valid('json');
      const project = projectOf(c);
      const id = body.id ?? ulid();
      if (await datasets.getDataset(project, id)) {
        throw new ConflictError(`dataset ${id} exists already`);
      }
      const writer = datasets.writer(project, id);
      try {
        await writeItems(deps, writer, body.items, new Map(), body.privacy);
        await writer.commit({ mode: 'create', base: 0, name: body.name });
      } catch (err) {
        await writer.abort();
        throw err; // a DatasetCommitError answers 409 (exists, changed meanwhile) or 404 (deleted)
      }
      c.get('logger').info({ datasetId: id, items: writer.count }, 'dataset created');
      return c.json({ ...(await mustGet(project, id)), created: true }, 201);
    })
    .openapi(listDatasetsRoute, async (c) => {
      const q = c.req.valid('query');
      const page = await datasets.listDatasets(projectOf(c), q);
      return c.json(page, 200);
    })
    .openapi(getDatasetRoute, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await mustGet(projectOf(c), id), 200);
    })
    .openapi(listItemsRoute, async (c) => {
      const { id, version } = c.req.valid('param');
      const q = c.req.valid('query');
      const project = projectOf(c);
      const dataset = await mustGet(project, id);
      const v = version === 'latest' ? dataset.latestVersion : parseDatasetVersion(version);
      const info = v === null ? undefined : dataset.versions.find((e) => e.version === v);
      if (!info) throw datasetNotFound(id, version);
      const from = q.cursor ? Number(q.cursor) : 0;
      const page = await datasets.readItemJson(project, id, info.version, from, q.limit);
      const items = page.map((json, i) => ({ index: from + i, ...(JSON.parse(json) as object) }));
      const end = from + page.length;
      return c.json(
        {
          datasetId: id,
          version: info.version,
          items: items as z.infer<typeof DatasetItemList>['items'],
          nextCursor: end < info.itemCount && page.length > 0 ? String(end) : null,
        },
        200,
      );
    })
    .openapi(addItemsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const project = projectOf(c);
      const dataset = await mustGet(project, id);
      const base = dataset.latestVersion;
      const writer = datasets.writer(project, id);
      let committed: Awaited<ReturnType<typeof writer.commit>>;
      try {
        const ids = new Map<string, number>();
        if (body.mode === 'append') {
          for await (const page of datasets.iterateItemJson(project, id, base)) {
            for (const json of page) {
              ids.set((JSON.parse(json) as { id: string }).id, writer.count);
              await writer.add(json);
            }
          }
        }
        await writeItems(deps, writer, body.items, ids, body.privacy);
        committed = await writer.commit({ mode: 'update', base, name: body.name });
      } catch (err) {
        await writer.abort();
        throw err; // a DatasetCommitError answers 409 (exists, changed meanwhile) or 404 (deleted)
      }
      const answer = await mustGet(project, id);
      if (!committed.created) {
        c.get('logger').info(
          { datasetId: id, mode: body.mode, version: committed.version },
          'dataset unchanged: no version added',
        );
        return c.json({ ...answer, created: false }, 200);
      }
      c.get('logger').info(
        { datasetId: id, mode: body.mode, version: committed.version, items: writer.count },
        'dataset version added',
      );
      return c.json({ ...answer, created: true }, 201);
    })
    .openapi(deleteDatasetRoute, async (c) => {
      const { id } = c.req.valid('param');
      const project = projectOf(c);
      if (!DATASET_ID_PATTERN.test(id) || !(await datasets.deleteDataset(project, id))) {
        throw datasetNotFound(id);
      }
      c.get('logger').info({ datasetId: id }, 'dataset deleted');
      return c.body(null, 204);
    });
}
