/**
 * `/docs`: Swagger UI over `/openapi.json`, served entirely by the API from the `swagger-ui-dist`
 * package (no CDN), so the page works on a machine without network access. The page is
 * `GET /docs`; its assets are `GET /docs/assets/<file>` (a fixed list, read from disk once and
 * kept in memory, cached by browsers for a day).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';

/** Where the page's assets are served (same origin as the API). */
export const DOCS_ASSET_PATH = '/docs/assets';

/** The swagger-ui-dist files the page uses, with their content types. */
export const DOCS_ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Directory of the installed `swagger-ui-dist` package. */
function swaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML of the docs page for the OpenAPI document at `specUrl` (a same-origin path). */
export function docsPage(specUrl: string, title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" type="image/png" href="${DOCS_ASSET_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="${DOCS_ASSET_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_ASSET_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_ASSET_PATH}/swagger-ui-standalone-preset.js"></script>
<script>
window.onload = () => {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(specUrl).replace(/</g, '\\u003c')},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
</script>
</body>
</html>
`;
}

/**
 * The `/docs` routes (mount at `/`): the page and its assets. An asset is read on its first
 * request; an unknown asset name is 404.
 * @param options.specUrl path of the OpenAPI document (default `/openapi.json`).
 * @param options.title the page title (default `runledger API`).
 */
export function createDocsRoutes(options: { specUrl?: string; title?: string } = {}) {
  const html = docsPage(options.specUrl ?? '/openapi.json', options.title ?? 'runledger API');
  const loaded = new Map<string, Promise<Buffer>>();
  const load = (file: string) => {
    let body = loaded.get(file);
    if (!body) {
      body = readFile(join(swaggerUiDir(), file));
      // a failed read is retried on the next request
      body.catch(() => loaded.delete(file));
      loaded.set(file, body);
    }
    return body;
  };
  return new Hono()
    .get('/docs', (c) => c.html(html))
    .get(`${DOCS_ASSET_PATH}/:file`, async (c) => {
      const file = c.req.param('file');
      const type = Object.hasOwn(DOCS_ASSETS, file) ? DOCS_ASSETS[file] : undefined;
      if (!type) return c.notFound();
      const body = await load(file);
      return c.body(new Uint8Array(body), 200, {
        'Content-Type': type,
        'Cache-Control': 'public, max-age=86400',
      });
    });
}
