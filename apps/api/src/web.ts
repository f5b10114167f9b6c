/**
 * The dashboard (apps/web) served by the API process at `/`, next to `/v1`, `/docs` and
 * `/metrics`: its hashed assets from the built `apps/web/dist` (cached for a year), and
 * `index.html` (never cached) for its pages (`DASHBOARD_ROUTES`), so deep links (`/runs/:id`,
 * `/compare/:a/:b`, ...) load on reload, and with status 404 for any other GET outside the API
 * (the app renders its not-found page); unknown API paths keep their problem+json 404.
 * Every dashboard response carries a Content-Security-Policy that forbids inline scripts (and the
 * app's `secureHeaders`, `SECURE_HEADERS_OPTIONS`).
 */
import { readFileSync, statSync } from 'node:fs';
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

/**
 * Options of Hono's `secureHeaders`, applied to every response of the API process (app.ts), the
 * dashboard's included: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
 * `X-Frame-Options: DENY` (agreeing with the dashboard CSP's `frame-ancestors 'none'`),
 * `Cross-Origin-Opener-Policy` and `Cross-Origin-Resource-Policy: same-origin`,
 * `Strict-Transport-Security` (browsers heed it over HTTPS only), `Origin-Agent-Cluster`,
 * `X-DNS-Prefetch-Control: off`, `X-Download-Options`, `X-Permitted-Cross-Domain-Policies`,
 * `X-XSS-Protection: 0`. No CSP here: the dashboard sets `DASHBOARD_CSP` on its own responses
 * (kept: `overwrite` only touches the headers listed), `/docs` (Swagger UI) has an inline script.
 */
export const SECURE_HEADERS_OPTIONS = { xFrameOptions: 'DENY' } as const;

/** Paths the API answers itself: never the dashboard's index.html. */
const API_PATH = /^\/(v1(\/|$)|docs(\/|$)|openapi\.json$|metrics$|healthz$|readyz$)/;

/**
 * The dashboard's own routes (Hono paths). Registered one by one, never as a catch-all, so the
 * route label of every other request (metrics, span names) stays its own; any other GET that is
 * not an API path gets the app's not-found page (404) through `webNotFound`.
 */
export const DASHBOARD_ROUTES = [
  '/',
  '/runs',
  '/runs/:id',
  '/runs/:id/items/:itemId',
  '/compare/:a/:b',
  '/experiments',
  '/experiments/:id',
  '/datasets',
  '/datasets/:id',
  '/workers',
] as const;

/** Options of `createWebRoutes`. */
export interface WebRoutesOptions {
  /** The built dashboard (index.html + assets/). @defaultValue `DEFAULT_WEB_DIR` */
  dir?: string;
}

/** The dashboard's own header: its CSP (the app's `secureHeaders` adds the rest). */
const securityHeaders = (c: Context<AppEnv>) => {
  c.header('Content-Security-Policy', DASHBOARD_CSP);
};

/**
 * The router serving the dashboard (mount it last, at `/`), and `notFound`, the answer for a GET
 * no route matched that is not an API path (the dashboard's not-found page, 404; null otherwise:
 * the caller answers its problem). When the dashboard is not built, its pages answer 503 with a
 * message saying to run `npm run build`.
 */
export function createWebRoutes(options: WebRoutesOptions = {}) {
  const dir = options.dir ?? DEFAULT_WEB_DIR;
  const indexPath = join(dir, 'index.html');
  let cached: { mtimeMs: number; html: string } | null = null;

  /** index.html, re-read when the file changes (a rebuild while the API runs); null when missing. */
  const readIndex = (): string | null => {
    const stat = statSync(indexPath, { throwIfNoEntry: false });
    if (!stat) return null;
    const { mtimeMs } = stat;
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

  /** index.html with `status` (the app renders the page, or its not-found page). */
  const page = (c: Context<AppEnv>, status: 200 | 404) => {
    const html = readIndex();
    securityHeaders(c);
    c.header('Cache-Control', 'no-cache');
    if (html === null) {
      return c.text(
        `The runledger dashboard is not built (${indexPath} is missing): run \`npm run build\`, then reload. The API is at /v1, its docs at /docs.\n`,
        503,
      );
    }
    return c.html(html, status);
  };

  const router = createRouter().get('/assets/*', async (c, next) => {
    const res = await assets(c, next);
    return res ?? c.notFound();
  });
  for (const path of DASHBOARD_ROUTES) router.get(path, (c) => page(c, 200));
  // `/runs/` and friends: the same pages with a trailing slash
  for (const path of DASHBOARD_ROUTES)
    if (path !== '/') router.get(`${path}/`, (c) => page(c, 200));

  const notFound = (c: Context<AppEnv>): Response | Promise<Response> | null =>
    c.req.method === 'GET' && !API_PATH.test(c.req.path) && !c.req.path.startsWith('/assets/')
      ? page(c, 404)
      : null;

  return { router, notFound };
}
