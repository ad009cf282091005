/**
 * Roles, ordered: each includes everything below it (reader < publisher < approver < admin).
 * Table rows are the single source of truth (STYLE.md §2); docs/registry.md lists the same rows.
 */
import { indexUnique, MvError } from '../core/index.js';

export type Role = 'reader' | 'publisher' | 'approver' | 'admin';

export interface RoleInfo {
  readonly name: Role;
  readonly rank: number;
  readonly doc: string;
}

export const ROLES: readonly RoleInfo[] = [
  { name: 'reader', rank: 0, doc: 'list, show, pull, read and verify the audit log; manage own tokens.' },
  { name: 'publisher', rank: 1, doc: 'push new versions, set tags, move unprotected aliases.' },
  { name: 'approver', rank: 2, doc: 'move protected aliases (e.g. production; not to a version they uploaded when separation of duties is on), deprecate versions.' },
  { name: 'admin', rank: 3, doc: 'delete (tombstone) models and versions, manage identities, roles and everyone\'s tokens.' },
];
export const ROLE_BY_NAME = indexUnique(ROLES, (r) => r.name);

export function parseRole(v: string): Role {
  const r = ROLE_BY_NAME.get(v as Role);
  if (!r) throw new MvError('USAGE_INVALID', `unknown role ${JSON.stringify(v)} (one of ${ROLES.map((x) => x.name).join(', ')})`);
  return r.name;
}

export const roleAtLeast = (have: Role, need: Role): boolean => ROLE_BY_NAME.get(have)!.rank >= ROLE_BY_NAME.get(need)!.rank;
