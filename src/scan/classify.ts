import { ALLOWLIST, PROFILE_MODULES, type AllowEntry, type Profile, type Use } from './allowlist.js';
import { DANGEROUS_ATTRIBUTES, DENY_MODULES, DENY_NAMES } from './denylist.js';

/** How the policy judges one global in one use. */
export type GlobalVerdict =
  | { readonly kind: 'allowed'; readonly entry: AllowEntry }
  /** Listed, but only as a value: calling it is a finding. */
  | { readonly kind: 'misused'; readonly entry: AllowEntry }
  | { readonly kind: 'denied'; readonly reason: string }
  | { readonly kind: 'dangerous-name'; readonly attribute: string }
  | { readonly kind: 'dotted'; readonly resolvesTo?: string; readonly reason?: string }
  | { readonly kind: 'unlisted' };

/** A user policy file: extra allow entries (each with a reason), optional extra deny entries. */
export interface PolicyFile {
  readonly allow?: readonly { module: string; name: string; use?: Use; reason: string }[];
  readonly deny?: readonly { module: string; name?: string; reason: string }[];
}

export interface Policy {
  readonly allow: ReadonlyMap<string, AllowEntry>;
  readonly denyModules: ReadonlyMap<string, string>;
  readonly denyNames: ReadonlyMap<string, string>;
}

const key = (module: string, name: string): string => `${module}\u0000${name}`;

/** numpy 2 writes `numpy._core.*`; numpy 1 reads both. Judge them as one. */
export function normaliseModule(module: string): string {
  if (module === 'numpy._core' || module.startsWith('numpy._core.')) return `numpy.core${module.slice('numpy._core'.length)}`;
  return module;
}

export function buildPolicy(file: PolicyFile = {}): Policy {
  const allow = new Map<string, AllowEntry>();
  for (const e of ALLOWLIST) allow.set(key(e.module, e.name), e);
  for (const e of file.allow ?? []) {
    allow.set(key(normaliseModule(e.module), e.name), { module: e.module, name: e.name, use: e.use ?? 'construct', reason: `policy file: ${e.reason}` });
  }
  const denyModules = new Map(DENY_MODULES);
  const denyNames = new Map(DENY_NAMES);
  for (const d of file.deny ?? []) {
    if (d.name) denyNames.set(`${d.module}.${d.name}`, `policy file: ${d.reason}`);
    else denyModules.set(d.module, `policy file: ${d.reason}`);
  }
  return { allow, denyModules, denyNames };
}

export const DEFAULT_POLICY: Policy = buildPolicy();

/** The deny reason for a dotted path (module or module.name), matching any dotted parent module. */
export function denyReasonOf(policy: Policy, dotted: string): string | undefined {
  return denyReason(policy, normaliseModule(dotted));
}

function denyReason(policy: Policy, dotted: string): string | undefined {
  const exact = policy.denyNames.get(dotted);
  if (exact) return exact;
  const parts = dotted.split('.');
  for (let i = parts.length; i >= 1; i--) {
    const m = policy.denyModules.get(parts.slice(0, i).join('.'));
    if (m) return m;
  }
  return undefined;
}

/**
 * Judges `module.name` used as `use` inside a container of `profile`. Allow-list first (exact match
 * only); then the deny set chooses between malicious and unsafe.
 */
export function classifyGlobal(policy: Policy, module: string, name: string, use: Use, profile: Profile): GlobalVerdict {
  const mod = normaliseModule(module);
  const entry = policy.allow.get(key(mod, name));
  if (entry && (entry.profiles?.includes(profile) ?? PROFILE_MODULES[profile](mod))) {
    if (entry.use === 'reference' && use === 'construct') return { kind: 'misused', entry };
    return { kind: 'allowed', entry };
  }
  for (const part of [...mod.split('.'), ...name.split('.')]) {
    if (DANGEROUS_ATTRIBUTES.includes(part)) return { kind: 'dangerous-name', attribute: part };
  }
  const direct = denyReason(policy, `${mod}.${name}`);
  if (direct) return { kind: 'denied', reason: direct };
  if (name.includes('.')) {
    // CPython resolves a dotted qualname by a getattr chain: `pathlib` + `os.system` reaches os.system.
    // Any component that names a denied module makes the chain malicious.
    const rest = name.split('.');
    for (let i = 1; i <= rest.length; i++) {
      const tail = rest.slice(i - 1).join('.');
      const r = denyReason(policy, tail);
      if (r) return { kind: 'dotted', resolvesTo: tail, reason: r };
    }
    return { kind: 'dotted' };
  }
  return { kind: 'unlisted' };
}
