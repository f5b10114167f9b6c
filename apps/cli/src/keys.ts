/**
 * `runledger keys create|list|revoke`: API keys stored in Redis (sha256 only, see
 * `ApiKeys.createApiKey`). These commands talk to Redis (`REDIS_URL`, `RUNLEDGER_PREFIX`)
 * directly, not to the API: managing keys is an operator's task, done by whoever can reach the
 * Redis, and it must work before any key exists (when the API may not be reachable from here,
 * being bound to loopback) and without a key that grants it. The API sees a new or revoked key
 * at once on requests that carry it (a lookup per request); whether keys are required at all is
 * re-read every 2 s. Each key has a role (`--role`, default `admin`); creating and revoking a key
 * is recorded in the project's audit log (source `cli`, no key id or request id).
 */
import {
  AuditLog,
  type Config,
  createRedis,
  PROJECT_PATTERN,
  ROLES,
  type Role,
  RunStore,
  redisTopology,
} from '@runledger/shared';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { formatJson } from './format.js';

/** What the keys commands need from the CLI. */
export interface KeysCommandsOptions {
  /** The configuration (REDIS_URL, RUNLEDGER_PREFIX), read when a command runs. */
  config: () => Config;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Raised for a failure the user must see as one line (exit code 1). */
  fail: (message: string) => Error;
}

/** Opens a store on the configured Redis, runs `fn`, closes the connection. */
async function withStore<T>(
  config: Config,
  fn: (store: RunStore, audit: AuditLog) => Promise<T>,
): Promise<T> {
  const redis = createRedis(config.REDIS_URL, 'command', {
    connectionName: 'runledger-cli-keys',
    ...redisTopology(config),
  });
  let lastError: Error | null = null;
  redis.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    const store = new RunStore(redis, { prefix: config.RUNLEDGER_PREFIX });
    const audit = new AuditLog(redis, store.keys, {
      maxLen: config.RUNLEDGER_AUDIT_MAXLEN,
      maxAgeSeconds: config.RUNLEDGER_AUDIT_MAX_AGE_SECONDS,
    });
    return await fn(store, audit);
  } catch (err) {
    const cause = lastError as Error | null;
    if (cause) {
      throw new Error(`cannot reach Redis at ${config.REDIS_URL}: ${cause.message}`);
    }
    throw err;
  } finally {
    redis.disconnect();
  }
}

function project(value: string): string {
  if (!PROJECT_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      'must be 1-64 letters, digits, "_", "-" or "." (first a letter or digit)',
    );
  }
  return value;
}

function keyName(value: string): string {
  if (value.length > 200) throw new InvalidArgumentError('at most 200 characters');
  return value;
}

/** The audit entry of a key change made here (no API key, no request: `source` `cli`). */
function cliEntry(action: string, keyId: string, status: number, call: string) {
  return {
    action,
    keyId: null,
    objectId: keyId,
    requestId: null,
    status,
    call,
    source: 'cli' as const,
  };
}

/** Adds the `keys` command group to `program`. */
export function addKeysCommands(program: Command, options: KeysCommandsOptions): void {
  const { out, err } = options;
  const keys = program
    .command('keys')
    .description(
      'manage API keys stored in Redis (talks to REDIS_URL directly, not to the API); keys from RUNLEDGER_API_KEYS are not listed',
    );

  keys
    .command('create')
    .description('create an API key for a project and print it (shown only this once)')
    .requiredOption('--project <project>', 'the project the key acts for', project)
    .option('--name <name>', 'a label for listing (e.g. who holds the key)', keyName, '')
    .addOption(
      new Option(
        '--role <role>',
        'what the key may do: read (GET routes, events, exports), write (+ submit, cancel, rerun, datasets, experiments), admin (+ delete, audit, keys)',
      )
        .choices(ROLES)
        .default('admin'),
    )
    .option('--json', 'print {key, id, project, name, role, createdAt} as JSON')
    .action(async (opts: { project: string; name: string; role: Role; json?: boolean }) => {
      const created = await withStore(options.config(), async (store, audit) => {
        const made = await store.apiKeys.createApiKey(opts.project, opts.name, opts.role);
        await audit.append(
          made.project,
          cliEntry('key.create', made.id, 201, 'runledger keys create'),
        );
        return made;
      });
      if (opts.json) {
        out(formatJson(created));
        return;
      }
      out(`${created.key}\n`);
      err(
        `created API key ${created.id} (role ${created.role}) for project ${created.project}: send it as "Authorization: Bearer <key>" (or RUNLEDGER_API_KEY for this CLI); it is shown only now\n`,
      );
    });

  keys
    .command('list')
    .description('list stored API keys (id, project, role, name, creation time; never the keys)')
    .option('--json', 'print the keys as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withStore(options.config(), (store) => store.apiKeys.listApiKeys());
      if (opts.json) {
        out(formatJson(list));
        return;
      }
      if (list.length === 0) {
        out('no API keys\n');
        return;
      }
      const rows = [
        ['ID', 'PROJECT', 'ROLE', 'NAME', 'CREATED'],
        ...list.map((k) => [k.id, k.project, k.role, k.name, k.createdAt]),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const row of rows)
        out(
          `${row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('  ')
            .trimEnd()}\n`,
        );
    });

  keys
    .command('revoke')
    .description('revoke a stored API key: requests with it are refused (401) from now on')
    .argument('<id>', 'the key id (runledger keys list)')
    .action(async (id: string) => {
      const revoked = await withStore(options.config(), async (store, audit) => {
        const gone = await store.apiKeys.revokeApiKey(id);
        if (gone) {
          await audit.append(
            gone.project,
            cliEntry('key.revoke', gone.id, 204, 'runledger keys revoke'),
          );
        }
        return gone;
      });
      if (!revoked) throw options.fail(`no API key with id ${id} (runledger keys list)`);
      out(`revoked API key ${revoked.id} (project ${revoked.project})\n`);
    });
}
