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
  type DatasetVersionWriter,
  type Item,
  ItemSchema,
  PayloadTooLargeError,
  type PrivacyOption,
  PrivacySchema,
  parseDatasetVersion,
  scrubberFor,
  ValidationError,
} from '@runledger/shared';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { ulid } from 'ulid';
import { type AppDeps, type AppEnv, createRouter, limitBody, projectOf } from '../context.js';
import { submitPrivacy } from '../create-run.js';
import { itemLineEncoder } from '../item-line-encoder.js';
import { type ItemLinesResult, lineSuffix, prepareItem, takeItem } from '../item-lines.js';
import { type ItemEncoding, isNdjson, readNdjsonItems } from '../ndjson.js';
import { notFound, ProblemError } from '../problem.js';
import {
  created,
  jsonOrNdjsonBody,
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

/** Line 1 of an NDJSON `POST /v1/datasets`: the body without `items`. */
const CreateDatasetHeader = CreateDatasetBody.omit({ items: true }).openapi('CreateDatasetHeader');
/** Line 1 of an NDJSON `POST /v1/datasets/:id/items`: the body without `items`. */
const AddItemsHeader = AddItemsBody.omit({ items: true }).openapi('AddDatasetItemsHeader');

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
 * The writer of a version's new items: `add(item)` encodes the next one (`prepareItem`: default
 * id from its index in the version, scrubbed by the request's privacy), `addEncoded(batch, k,
 * line)` takes an NDJSON line encoded already (`encodeItemLines` with `encoding`'s policy and
 * default ids); both check duplicate ids against `ids` (which holds the ids written before) and
 * the size (`takeItem`), and hand the JSON to `writer` (a promise to await when it filled a
 * batch). Errors name the item's index among the request's items (`items.<j>`) and, from an
 * NDJSON body, its `line`.
 * @throws PayloadTooLargeError 413 (more than `RUNLEDGER_MAX_ITEMS` items in the version, an item
 *   over `RUNLEDGER_MAX_ITEM_BYTES`); ValidationError 400 (duplicate id).
 */
function itemWriter(
  deps: AppDeps,
  writer: DatasetVersionWriter,
  ids: Map<string, number>,
  privacy: PrivacyOption | undefined,
) {
  const policy = submitPrivacy(deps.config, privacy);
  const scrubber = scrubberFor(policy);
  const { RUNLEDGER_MAX_ITEMS: maxItems, RUNLEDGER_MAX_ITEM_BYTES: maxBytes } = deps.config;
  let taken = 0;
  /** Takes the next item, encoded; `line`: its NDJSON line, named in messages. */
  const take = (id: string, json: string, bytes: number, line?: number) => {
    const j = taken;
    // messages are built only for an error: no string per item
    if (writer.count >= maxItems) {
      const message = `a dataset version holds at most ${maxItems} items${lineSuffix(line)}`;
      throw new PayloadTooLargeError(message, [{ path: `items.${j}`, message }]);
    }
    takeItem(id, bytes, writer.count, ids, maxBytes, () => ({
      path: `items.${j}`,
      firstOf: ' of the version',
      suffix: lineSuffix(line),
    }));
    taken++;
    return writer.add(json);
  };
  return {
    /** Items of the request taken so far. */
    get taken(): number {
      return taken;
    },
    /** How NDJSON item lines are encoded for this writer (`readNdjsonItems`). */
    encoding: { policy, countMasks: false, idBase: writer.count } satisfies ItemEncoding,
    add(item: Item): Promise<void> | undefined {
      const privacy = { scrubber, count: false };
      const { stored, json, bytes } = prepareItem(item, writer.count, maxBytes, privacy);
      return take(stored.id, json, bytes);
    },
    addEncoded(batch: ItemLinesResult, k: number, line: number): Promise<void> | undefined {
      return take(batch.ids[k] as string, batch.jsons[k] as string, batch.bytes[k] as number, line);
    },
  };
}

/** The new items of a JSON body, all of them (the version's size is checked before any is written). */
async function writeItems(
  deps: AppDeps,
  writer: DatasetVersionWriter,
  items: Item[],
  ids: Map<string, number>,
  privacy: PrivacyOption | undefined,
): Promise<void> {
  const maxItems = deps.config.RUNLEDGER_MAX_ITEMS;
  if (writer.count + items.length > maxItems) {
    const message = `a dataset version holds at most ${maxItems} items (it would hold ${writer.count + items.length})`;
    throw new PayloadTooLargeError(message, [{ path: 'items', message }]);
  }
  const taker = itemWriter(deps, writer, ids, privacy);
  for (const item of items) {
    const written = taker.add(item);
    if (written) await written;
  }
}

/** 400 for a dataset body without items. */
const noItems = () =>
  new ValidationError('a dataset version needs at least one item', [
    { path: 'items', message: 'at least one item is required' },
  ]);

/** The `/v1/datasets` router. */
export function createDatasetRoutes(deps: AppDeps) {
  const { config } = deps;
  const { datasets } = deps.store;
  const limitJson = limitBody(
    config.RUNLEDGER_MAX_BODY_BYTES,
    '; send large datasets as application/x-ndjson',
  );
  /** JSON bodies are limited to `RUNLEDGER_MAX_BODY_BYTES` (NDJSON is limited per item). */
  const jsonBodyLimit = createMiddleware<AppEnv>(async (c, next) =>
    isNdjson(c.req.header('content-type')) ? next() : limitJson(c, next),
  );

  /** The dataset or a 404 (ids that cannot be dataset ids answer 404 without a Redis call). */
  const mustGet = async (project: string, id: string): Promise<Dataset> => {
    if (!DATASET_ID_PATTERN.test(id)) throw datasetNotFound(id);
    const dataset = await datasets.getDataset(project, id);
    if (!dataset) throw datasetNotFound(id);
    return dataset;
  };

  /**
   * Creates a dataset of the request's project as version 1 and answers 201: `write` opens its
   * writer with `open(id)` (a 409 when the id exists), fills it, and answers the header (name,
   * the id chosen). Nothing is kept when anything throws.
   * @throws ConflictError 409 (the id exists), what `write` throws.
   */
  const createDataset = async (
    c: Context<AppEnv>,
    write: (
      open: (id: string) => Promise<DatasetVersionWriter>,
    ) => Promise<{ id: string; name: string }>,
  ) => {
    const project = projectOf(c);
    const opened: { writer?: DatasetVersionWriter } = {};
    const open = async (id: string) => {
      if (await datasets.getDataset(project, id)) {
        throw new ConflictError(`dataset ${id} exists already`);
      }
      opened.writer = datasets.writer(project, id);
      return opened.writer;
    };
    let header: { id: string; name: string };
    let writer: DatasetVersionWriter;
    try {
      header = await write(open);
      // `write` opens the writer before its first item (a body without items has thrown)
      if (!opened.writer) throw new Error('createDataset: write returned without opening a writer');
      writer = opened.writer;
      await writer.commit({ mode: 'create', base: 0, name: header.name });
    } catch (err) {
      await opened.writer?.abort();
      throw err; // a DatasetCommitError answers 409 (exists, changed meanwhile) or 404 (deleted)
    }
    c.get('logger').info({ datasetId: header.id, items: writer.count }, 'dataset created');
    return c.json({ ...(await mustGet(project, header.id)), created: true }, 201);
  };

  /** Writes the latest version's items (`base`) first, their ids into `ids` (an `append`). */
  const copyVersion = async (
    project: string,
    id: string,
    base: number,
    writer: DatasetVersionWriter,
    ids: Map<string, number>,
  ) => {
    for await (const page of datasets.iterateItemJson(project, id, base)) {
      for (const json of page) {
        ids.set((JSON.parse(json) as { id: string }).id, writer.count);
        const written = writer.add(json);
        if (written) await written;
      }
    }
  };

  /**
   * Adds a version to dataset `id` from what `write` hands the writer (given the latest
   * version `base` and the map of ids written), which answers the version's header (mode, new
   * name); answers 201 with the new version, or 200 `created: false` when its content equals the
   * latest version's. Nothing is kept when `write` throws.
   * @throws NotFoundError 404 (unknown dataset), ConflictError 409 (a version added meanwhile).
   */
  const addVersion = async (
    c: Context<AppEnv>,
    id: string,
    write: (
      writer: DatasetVersionWriter,
      base: number,
      ids: Map<string, number>,
    ) => Promise<z.infer<typeof AddItemsHeader>>,
  ) => {
    const project = projectOf(c);
    const base = (await mustGet(project, id)).latestVersion;
    const writer = datasets.writer(project, id);
    let header: z.infer<typeof AddItemsHeader>;
    let committed: Awaited<ReturnType<typeof writer.commit>>;
    try {
      header = await write(writer, base, new Map());
      committed = await writer.commit({ mode: 'update', base, name: header.name });
    } catch (err) {
      await writer.abort();
      throw err; // a DatasetCommitError answers 409 (exists, changed meanwhile) or 404 (deleted)
    }
    const answer = await mustGet(project, id);
    const logged = { datasetId: id, mode: header.mode, version: committed.version };
    if (!committed.created) {
      c.get('logger').info(logged, 'dataset unchanged: no version added');
      return c.json({ ...answer, created: false }, 200);
    }
    c.get('logger').info({ ...logged, items: writer.count }, 'dataset version added');
    return c.json({ ...answer, created: true }, 201);
  };

  /**
   * The NDJSON body of both routes, read as a stream: line 1 `header`, handed to `onHeader`,
   * which answers the item writer every further line goes to.
   * @throws ValidationError 400 (a bad line, no item), what `readNdjsonItems` and the writer throw.
   */
  const readItems = <H>(
    c: Context<AppEnv>,
    header: z.ZodType<H>,
    onHeader: (header: H) => Promise<ReturnType<typeof itemWriter>>,
  ) => {
    let taker: ReturnType<typeof itemWriter> | null = null;
    return readNdjsonItems(c.req.raw.body, {
      header,
      headerName: 'the dataset header (the body without items)',
      itemsPath: 'items',
      maxHeaderBytes: config.RUNLEDGER_MAX_BODY_BYTES,
      maxItemBytes: config.RUNLEDGER_MAX_ITEM_BYTES,
      encoder: itemLineEncoder(config.RUNLEDGER_PARSE_THREADS),
      async onHeader(parsed) {
        taker = await onHeader(parsed);
        return taker.encoding;
      },
      onItem: (batch, k, line) => taker?.addEncoded(batch, k, line),
    }).then((parsed) => {
      if (!taker || taker.taken === 0) throw noItems();
      return parsed;
    });
  };

  /** `POST /v1/datasets` with an NDJSON body, streamed (before the JSON validator would read it). */
  const createNdjson = createMiddleware<AppEnv>(async (c, next) => {
    if (!isNdjson(c.req.header('content-type'))) return next();
    return createDataset(c, async (open) => {
      let id = '';
      const header = await readItems(c, CreateDatasetHeader, async (parsed) => {
        id = parsed.id ?? ulid();
        return itemWriter(deps, await open(id), new Map(), parsed.privacy);
      });
      return { ...header, id };
    });
  });

  /** `POST /v1/datasets/:id/items` with an NDJSON body, streamed. */
  const addNdjson = createMiddleware<AppEnv>(async (c, next) => {
    if (!isNdjson(c.req.header('content-type'))) return next();
    const id = c.req.param('id') ?? '';
    return addVersion(c, id, (writer, base, ids) =>
      readItems(c, AddItemsHeader, async (header) => {
        if (header.mode === 'append') await copyVersion(projectOf(c), id, base, writer, ids);
        return itemWriter(deps, writer, ids, header.privacy);
      }),
    );
  });

  const createDatasetRoute = v1Route('datasets', 'post', '/', {
    operationId: 'createDataset',
    summary: 'Create a dataset (version 1)',
    description:
      'JSON: the whole body. NDJSON (`application/x-ndjson`, streamed, for datasets of any ' +
      'size up to `RUNLEDGER_MAX_ITEMS`): line 1 the body without `items` ' +
      '(`CreateDatasetHeader`), then one `Item` per line.',
    middleware: [createNdjson, jsonBodyLimit] as const,
    request: {
      body: jsonOrNdjsonBody(CreateDatasetBody, 'CreateDatasetHeader', '{"id":"qa","name":"QA"}'),
    },
    responses: created(
      'Created, with version 1 (`created: true`)',
      DatasetChangeSchema,
      400,
      409,
      413,
      415,
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
      '(a `name` still renames). 409 when another version was added meanwhile. NDJSON ' +
      '(`application/x-ndjson`, streamed): line 1 the body without `items` ' +
      '(`AddDatasetItemsHeader`), then one `Item` per line.',
    middleware: [addNdjson, jsonBodyLimit] as const,
    request: {
      body: jsonOrNdjsonBody(AddItemsBody, 'AddDatasetItemsHeader', '{"mode":"append"}'),
    },
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

  const router = createRouter();
  // schemas referenced only from the NDJSON bodies' raw schema objects
  router.openAPIRegistry.register('CreateDatasetHeader', CreateDatasetHeader);
  router.openAPIRegistry.register('AddDatasetItemsHeader', AddItemsHeader);
  return router
    .openapi(createDatasetRoute, async (c) => {
      const body = c.req.valid('json');
      // NDJSON never gets here (createNdjson answers it); the string type only documents it
      if (typeof body === 'string') throw new ProblemError(415, 'unexpected body type');
      const { items, ...header } = body;
      return createDataset(c, async (open) => {
        const id = header.id ?? ulid();
        await writeItems(deps, await open(id), items, new Map(), header.privacy);
        return { ...header, id };
      });
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
      if (typeof body === 'string') throw new ProblemError(415, 'unexpected body type');
      const { items, ...header } = body;
      return addVersion(c, id, async (writer, base, ids) => {
        if (header.mode === 'append') await copyVersion(projectOf(c), id, base, writer, ids);
        await writeItems(deps, writer, items, ids, header.privacy);
        return header;
      });
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
