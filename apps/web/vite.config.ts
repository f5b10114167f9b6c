/**
 * Vite config of the dashboard: a React SPA built to apps/web/dist, served by the API at `/`.
 * In development (`npm run dev -w apps/web`) API calls go to the API at RUNLEDGER_API_URL.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.RUNLEDGER_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@runledger/source'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    minify: process.env.WEB_NO_MINIFY ? false : 'oxc',
    // no inline module-preload polyfill script: the CSP forbids inline scripts
    modulePreload: { polyfill: false },
    // one bundle, ~170 kB gzip with its CSS (the goal is < 250 kB gzip): no warning below 700 kB raw
    chunkSizeWarningLimit: 700,
  },
  server: { proxy: { '/v1': api } },
});
