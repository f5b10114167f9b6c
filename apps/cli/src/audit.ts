/**
 * `runledger audit`: the project's audit log through the API (`GET /v1/audit`, needs an API key
 * with role `admin` once keys are configured), newest first, as a table or `--json`.
 */
import type { RunledgerClient } from '@runledger/client';
import { type Command, InvalidArgumentError } from 'commander';
import { formatJson, formatTable } from './format.js';

/** What the audit command needs from the CLI. */
export interface AuditCommandOptions {
  client: () => RunledgerClient;
  out: (text: string) => void;
  err: (text: string) => void;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be 1..1000');
  return n;
}

/** Adds `runledger audit` to `program`. */
export function addAuditCommand(program: Command, options: AuditCommandOptions): void {
  program
    .command('audit')
    .description(
      "show the project's audit log, newest first: every change made through the API (time, action, object, HTTP status, API key id, request id); needs a key with role admin",
    )
    .option('--since <time>', 'only entries at or after this time (ISO-8601 or ms since epoch)')
    .option('--action <action>', 'only this action, e.g. run.delete, dataset.push, key.create')
    .option('--limit <n>', 'entries per page (1..1000)', positiveInt, 50)
    .option('--cursor <cursor>', 'the next page: the cursor printed after the previous one')
    .option('--json', 'print the page as JSON ({entries, nextCursor})')
    .action(
      async (opts: {
        since?: string;
        action?: string;
        limit: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const page = await options.client().audit.list({
          limit: opts.limit,
          ...(opts.since !== undefined ? { since: opts.since } : {}),
          ...(opts.action !== undefined ? { action: opts.action } : {}),
          ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
        });
        if (opts.json) {
          options.out(formatJson(page));
          return;
        }
        if (page.entries.length === 0) options.out('no audit entries\n');
        else
          options.out(
            formatTable(
              ['TIME', 'ACTION', 'OBJECT', 'STATUS', 'KEY', 'REQUEST'],
              page.entries.map((e) => [
                e.at,
                e.action,
                e.createdId ? `${e.objectId ?? '-'} -> ${e.createdId}` : (e.objectId ?? '-'),
                String(e.status),
                e.keyId ?? (e.source === 'cli' ? 'cli' : '-'),
                e.requestId ?? '-',
              ]),
            ),
          );
        if (page.nextCursor !== null) {
          options.err(`more entries: runledger audit --cursor ${page.nextCursor}\n`);
        }
      },
    );
}
