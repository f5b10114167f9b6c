/**
 * The one translation of errors into problems (apps/api/src/problem.ts `createErrorHandler`):
 * each member of the shared error family, thrown from a handler, becomes exactly its problem
 * (status, type, title, detail, instance, errors[], headers); a plain Error or a 500
 * `RunledgerError` is logged once and answered 500 without its message.
 */
import {
  ConflictError,
  createLogger,
  DatasetCommitError,
  InvalidCursorError,
  NotFoundError,
  PayloadTooLargeError,
  RunledgerError,
  RunNotFoundError,
  RunTerminalError,
  UnavailableError,
  ValidationError,
} from '@runledger/shared';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createErrorHandler, ProblemError } from '../apps/api/src/problem.js';

/** An app whose `GET /` throws `err`, and the log lines its error handler wrote. */
function appThrowing(err: unknown): { app: Hono; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    pretty: false,
  });
  const app = new Hono();
  app.onError(createErrorHandler(logger));
  app.get('/', () => {
    throw err;
  });
  return { app, lines };
}

async function problemOf(err: unknown) {
  const { app, lines } = appThrowing(err);
  const res = await app.request('/');
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body, headers: res.headers, lines };
}

describe('createErrorHandler', () => {
  it('answers each error of the family with its exact problem, logging nothing', async () => {
    const field = [{ path: 'items.0.id', message: 'duplicate' }];
    const cases: [unknown, Record<string, unknown>][] = [
      [
        new RunNotFoundError('01RUN'),
        {
          type: 'urn:runledger:problem:not_found',
          title: 'Not Found',
          status: 404,
          detail: 'run 01RUN not found',
        },
      ],
      [
        new NotFoundError('dataset d not found', [
          { path: 'dataset.id', message: 'dataset d not found' },
        ]),
        {
          type: 'urn:runledger:problem:not_found',
          title: 'Not Found',
          status: 404,
          detail: 'dataset d not found',
          errors: [{ path: 'dataset.id', message: 'dataset d not found' }],
        },
      ],
      [
        new RunTerminalError('01RUN', 'cancelled'),
        {
          type: 'urn:runledger:problem:conflict',
          title: 'Conflict',
          status: 409,
          detail: 'run 01RUN is already cancelled',
        },
      ],
      [
        new ConflictError('dataset d exists already'),
        {
          type: 'urn:runledger:problem:conflict',
          title: 'Conflict',
          status: 409,
          detail: 'dataset d exists already',
        },
      ],
      [
        new DatasetCommitError('missing', 'dataset d not found'),
        {
          type: 'urn:runledger:problem:not_found',
          title: 'Not Found',
          status: 404,
          detail: 'dataset d not found',
        },
      ],
      [
        new DatasetCommitError('conflict', 'dataset d changed meanwhile'),
        {
          type: 'urn:runledger:problem:conflict',
          title: 'Conflict',
          status: 409,
          detail: 'dataset d changed meanwhile',
        },
      ],
      [
        new ValidationError('bad', field),
        {
          type: 'urn:runledger:problem:validation',
          title: 'Bad Request',
          status: 400,
          detail: 'bad',
          errors: field,
        },
      ],
      [
        new InvalidCursorError(),
        {
          type: 'urn:runledger:problem:validation',
          title: 'Bad Request',
          status: 400,
          detail: 'invalid cursor',
          errors: [{ path: 'cursor', message: 'not a cursor this API handed out' }],
        },
      ],
      [
        new PayloadTooLargeError('too many items', field),
        {
          type: 'urn:runledger:problem:payload_too_large',
          title: 'Content Too Large',
          status: 413,
          detail: 'too many items',
          errors: field,
        },
      ],
      [
        new UnavailableError('Redis is unreachable: down'),
        {
          type: 'urn:runledger:problem:unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: 'Redis is unreachable: down',
        },
      ],
      [
        new ProblemError(400, 'plain bad request'),
        {
          type: 'urn:runledger:problem:bad_request',
          title: 'Bad Request',
          status: 400,
          detail: 'plain bad request',
        },
      ],
    ];
    for (const [err, expected] of cases) {
      const { status, body, lines } = await problemOf(err);
      expect(status).toBe(expected.status);
      // exact body, key order included (the wire format the API tests pin)
      const { errors, ...head } = expected;
      const wire = { ...head, instance: '/', ...(errors ? { errors } : {}) };
      expect(JSON.stringify(body)).toBe(JSON.stringify(wire));
      expect(lines).toEqual([]);
    }
  });

  it('sends the headers an error carries (401 WWW-Authenticate, 429 Retry-After)', async () => {
    const { status, headers, body } = await problemOf(
      new ProblemError(429, 'slow down', {
        kind: 'too_many_requests',
        headers: { 'Retry-After': '3' },
      }),
    );
    expect([status, headers.get('retry-after'), body.type]).toEqual([
      429,
      '3',
      'urn:runledger:problem:too_many_requests',
    ]);
  });

  it('logs an unexpected error once and answers 500 without its message', async () => {
    for (const err of [new Error('secret detail'), new RunledgerError('also secret')]) {
      const { status, body, lines } = await problemOf(err);
      expect(status).toBe(500);
      expect(body).toEqual({
        type: 'urn:runledger:problem:internal',
        title: 'Internal Server Error',
        status: 500,
        detail: 'internal error',
        instance: '/',
      });
      expect(lines.map((l) => [l.level, l.msg, (l.err as { message: string }).message])).toEqual([
        [50, 'unexpected error', (err as Error).message],
      ]);
    }
  });
});
