/**
 * API key roles: what a key may do. Roles are ordered, each including the one before:
 *
 * - `read`: every `GET` route (runs, results, events over SSE, exports, compare, datasets,
 *   experiments, workers).
 * - `write`: + submit runs, cancel, rerun/replay, create and change datasets, create experiments.
 * - `admin`: + delete (runs, datasets, experiments), cleanup, import, the audit log, key management.
 *
 * Keys without a role (env entries `project:key`, keys stored before roles existed) are `admin`,
 * so setups made before roles keep working. Which role each route needs is decided in one table
 * (apps/api/src/routes/access.ts).
 */
import { z } from 'zod';

/** Every role, weakest first. */
export const ROLES = ['read', 'write', 'admin'] as const;

/** A key's role (see the module doc). */
export type Role = (typeof ROLES)[number];

/** zod schema of a role. */
export const RoleSchema = z.enum(ROLES);

/** The role of a key that names none. */
export const DEFAULT_ROLE: Role = 'admin';

/** True when `value` is a role name. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** True when a key of role `have` may make a call that needs role `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
