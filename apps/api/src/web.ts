/**
 * The dashboard (apps/web) served by the API process at `/`, next to `/v1`, `/docs` and
 * `/metrics`: its hashed assets from the built `apps/web/dist` (cached for a year), and
 * `index.html` (never cached) for every other GET that is not an API route, so deep links
 * (`/runs/:id`, `/compare/:a/:b`, ...) load on reload; the app itself renders its not-found page.
 * Every dashboard response carries a Content-Security-Policy that forbids inline scripts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context } from 'hono';
import { type AppEnv, createRouter } from './context.js';

/** Where `npm run build` writes the dashboard: apps/web/dist (same path from src/ and dist/). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The dashboard's Content-Security-Policy: scripts only from the same origin (no inline script,
 * no eval), no plugins, no framing. Inline style attributes stay allowed (layout widths).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the API answers itself: never the dashboard's index.html. */
const API_PATH = /^\/(v1(\/|$)|docs(\/|$)|openapi\.json$|metrics$|healthz$|readyz$)/;

/** The dashboard's own routes (anything else renders its not-found page, with status 404). */
const APP_ROUTES = [
  /^\/$/,
  /^\/runs\/?$/,
  /^\/runs\/[^/]+\/?$/,
  /^\/runs\/[^/]+\/items\/[^/]+\/?$/,
  /^\/compare\/[^/]+\/[^/]+\/?$/,
  /^\/experiments\/?$/,
  /^\/experiments\/[^/]+\/?$/,
  /^\/datasets\/?$/,
  /^\/datasets\/[^/]+\/?$/,
  /^\/workers\/?$/,
];

/** Options of `createWebRoutes`. */
export interface WebRoutesOptions {
  /** The built dashboard (index.html + assets/). @defaultValue `DEFAULT_WEB_DIR` */
  dir?: string;
}

const securityHeaders = (c: Context<AppEnv>) => {
  c.header('Content-Security-Policy', DASHBOARD_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
};

/**
 * The router serving the dashboard (mount it last, at `/`). When the dashboard is not built,
 * `/` and the app's routes answer 503 with a message saying to run `npm run build`.
 */
export function createWebRoutes(options: WebRoutesOptions = {}) {
  const dir = options.dir ?? DEFAULT_WEB_DIR;
  const indexPath = join(dir, 'index.html');
  let cached: { mtimeMs: number; html: string } | null = null;

  /** index.html, re-read when the file changes (a rebuild while the API runs); null when missing. */
  const readIndex = (): string | null => {
    if (!existsSync(indexPath)) return null;
    const { mtimeMs } = statSync(indexPath);
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, html: readFileSync(indexPath, 'utf8') };
    return cached.html;
  };

  const assets = serveStatic<AppEnv>({
    root: dir,
    onFound: (_path, c) => {
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      securityHeaders(c);
    },
  });

  return createRouter()
    .get('/assets/*', async (c, next) => {
      const res = await assets(c, next);
      return res ?? c.notFound();
    })
    .get('*', (c) => {
      const path = c.req.path;
      if (API_PATH.test(path)) return c.notFound();
      const html = readIndex();
      securityHeaders(c);
      c.header('Cache-Control', 'no-cache');
      if (html === null) {
        return c.text(
          `The runledger dashboard is not built (${indexPath} is missing): run \`npm run build\`, then reload. The API is at /v1, its docs at /docs.\n`,
          503,
        );
      }
      const known = APP_ROUTES.some((route) => route.test(path));
      return c.html(html, known ? 200 : 404);
    });
}
