import type { PickleEvent, PickleResult, PyValue } from '../formats/pickle/index.js';
import { CALLS_ARGUMENTS, CONTAINER_TYPES, type Profile } from './allowlist.js';
import { classifyGlobal, denyReasonOf, normaliseModule, type GlobalVerdict, type Policy } from './classify.js';
import { NESTED_LOADERS } from './denylist.js';
import type { Finding, ScanError } from './report.js';

/** Where a rule reports to. Scans collect every finding (STYLE.md: "throw or collect"). */
export interface Sink {
  readonly member?: string;
  finding(f: Omit<Finding, 'member'>): void;
  error(e: Omit<ScanError, 'member'>): void;
  global(module: string, name: string, allowed: boolean): void;
}

export interface PickleRuleContext {
  readonly policy: Policy;
  readonly profile: Profile;
  readonly sink: Sink;
}

const isGlobal = (v: PyValue | undefined): v is Extract<PyValue, { kind: 'global' }> =>
  typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'global';

function reportGlobal(ctx: PickleRuleContext, module: string, name: string, verdict: GlobalVerdict, at: number): void {
  const g = { module, name };
  const dotted = `${module}.${name}`;
  switch (verdict.kind) {
    case 'allowed':
      return;
    case 'misused':
      ctx.sink.finding({ rule: 'SCAN_GLOBAL_UNLISTED', severity: 'high', global: g, offset: at,
        message: `${dotted} is allowed only as a value, but it is called` });
      return;
    case 'denied':
      ctx.sink.finding({ rule: 'SCAN_GLOBAL_DENIED', severity: 'critical', global: g, offset: at,
        message: `${dotted} is dangerous: ${verdict.reason}` });
      return;
    case 'dangerous-name': {
      ctx.sink.finding({ rule: 'SCAN_DANGEROUS_NAME', severity: 'critical', global: g, offset: at,
        message: `${dotted} names ${verdict.attribute}, used to escape namespaces` });
      // Findings are never merged across rules (GHSA-cffv-grgg-g429): the module may be denied too.
      const denied = denyReasonOf(ctx.policy, module);
      if (denied) ctx.sink.finding({ rule: 'SCAN_GLOBAL_DENIED', severity: 'critical', global: g, offset: at, message: `${module} is dangerous: ${denied}` });
      return;
    }
    case 'dotted':
      if (verdict.resolvesTo) {
        ctx.sink.finding({ rule: 'SCAN_DOTTED_NAME', severity: 'critical', global: g, offset: at,
          message: `${dotted} is an attribute chain reaching ${verdict.resolvesTo}` });
        ctx.sink.finding({ rule: 'SCAN_GLOBAL_DENIED', severity: 'critical', global: g, offset: at,
          message: `${verdict.resolvesTo} (reached through ${dotted}) is dangerous: ${verdict.reason}` });
      } else {
        ctx.sink.finding({ rule: 'SCAN_DOTTED_NAME', severity: 'high', global: g, offset: at,
          message: `${dotted} uses a dotted name that is not on the allow-list` });
      }
      return;
    case 'unlisted':
      ctx.sink.finding({ rule: 'SCAN_GLOBAL_UNLISTED', severity: 'high', global: g, offset: at,
        message: `${dotted} is not on the allow-list (extend it with --policy if you trust it)` });
      return;
  }
}

/** A callable handed to another call (GHSA-jhph-76pp-mggw: run_and_read_all(collect_env.run, cmd)). */
function judgeArguments(ctx: PickleRuleContext, args: readonly PyValue[], callee: string, at: number): void {
  const flat = args.length === 1 && typeof args[0] === 'object' && args[0] !== null && (args[0] as { kind?: string }).kind === 'tuple'
    ? (args[0] as { items: PyValue[] }).items : args;
  for (const a of flat) {
    if (!isGlobal(a)) continue;
    const v = classifyGlobal(ctx.policy, a.module, a.name, 'reference', ctx.profile);
    if (v.kind === 'allowed') continue;
    ctx.sink.finding({ rule: 'SCAN_CALLABLE_ARGUMENT', severity: v.kind === 'unlisted' ? 'high' : 'critical', offset: at,
      global: { module: a.module, name: a.name }, message: `${a.module}.${a.name} is passed as an argument to ${callee}` });
  }
}

const normalisedName = (g: { module: string; name: string }): string => `${normaliseModule(g.module)}.${g.name}`;

/** The class (or factory) behind an instance or call result, as `module.name`. */
function containerClass(v: PyValue): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { kind?: string; cls?: PyValue; fn?: PyValue };
  const c = o.kind === 'object' ? o.cls : o.kind === 'call' ? o.fn : undefined;
  return isGlobal(c) ? normalisedName(c) : undefined;
}

const SIDE_FILE_WRAPPERS = new Set(['joblib.numpy_pickle.NDArrayWrapper', 'joblib.numpy_pickle.ZNDArrayWrapper']);

/**
 * joblib ≤ 0.9 wrappers keep arrays in side files that joblib.load opens with np.load(allow_pickle=True)
 * (formats.md §2.3): a path leaving the model folder reads any file on the machine; a local one is a file
 * this scan did not see.
 */
function judgeSideFile(ctx: PickleRuleContext, target: PyValue, state: PyValue, at: number): void {
  const cls = containerClass(target);
  if (!cls || !SIDE_FILE_WRAPPERS.has(cls)) return;
  const d = state as { kind?: string; keys?: PyValue[]; values?: PyValue[] };
  const i = d?.kind === 'dict' ? d.keys!.indexOf('filename') : -1;
  const name = i >= 0 ? d.values![i] : undefined;
  if (typeof name !== 'string') return;
  if (name.startsWith('/') || name.includes('\\') || name.split('/').includes('..') || /^[A-Za-z]:/.test(name)) {
    ctx.sink.finding({ rule: 'SCAN_SIDE_FILE', severity: 'critical', offset: at,
      message: `${cls} loads ${JSON.stringify(name)} with np.load(allow_pickle=True): a path outside the model folder` });
  } else {
    ctx.sink.error({ code: 'SCAN_SIDE_FILE', offset: at, message: `array data lives in side file ${JSON.stringify(name)}, which joblib unpickles: scan the folder` });
  }
}

function judgeEvent(ctx: PickleRuleContext, ev: PickleEvent): void {
  switch (ev.kind) {
    case 'global': {
      const { module, name, at } = ev.global;
      const verdict = classifyGlobal(ctx.policy, module, name, 'reference', ctx.profile);
      ctx.sink.global(module, name, verdict.kind === 'allowed');
      reportGlobal(ctx, module, name, verdict, at);
      return;
    }
    case 'bad-global':
      ctx.sink.finding({ rule: 'SCAN_NON_STRING_GLOBAL', severity: 'high', offset: ev.at,
        message: `STACK_GLOBAL with non-string operands (${ev.module}, ${ev.name}): the loader would resolve a computed name` });
      return;
    case 'call': {
      const callee = ev.callee;
      if (isGlobal(callee)) {
        const dotted = `${callee.module}.${callee.name}`;
        if (NESTED_LOADERS.has(dotted)) {
          ctx.sink.finding({ rule: 'SCAN_NESTED_LOADER', severity: 'critical', global: { module: callee.module, name: callee.name },
            offset: ev.at, message: `${dotted} deserialises data embedded in the file` });
          return;
        }
        const verdict = classifyGlobal(ctx.policy, callee.module, callee.name, 'construct', ctx.profile);
        if (verdict.kind === 'misused') reportGlobal(ctx, callee.module, callee.name, verdict, ev.at);
        judgeArguments(ctx, ev.args, dotted, ev.at);
        for (const i of CALLS_ARGUMENTS.get(normalisedName(callee)) ?? []) {
          const a = ev.args[i];
          if (!isGlobal(a)) continue;
          const v = classifyGlobal(ctx.policy, a.module, a.name, 'construct', ctx.profile);
          if (v.kind === 'misused') {
            ctx.sink.finding({ rule: 'SCAN_GLOBAL_UNLISTED', severity: 'high', offset: ev.at, global: { module: a.module, name: a.name },
              message: `${dotted} constructs ${a.module}.${a.name}, which is allowed only as a value` });
          }
        }
        return;
      }
      // Calling something that is not a global (the result of another call, e.g. attrgetter("system")(os))
      // never happens in data-only pickles.
      ctx.sink.finding({ rule: 'SCAN_COMPUTED_CALL', severity: 'high', offset: ev.at,
        message: `${ev.op} calls a computed value, not a named class or function` });
      return;
    }
    case 'build':
      judgeSideFile(ctx, ev.target, ev.state, ev.at);
      if (isGlobal(ev.target)) {
        ctx.sink.finding({ rule: 'SCAN_BUILD_ON_GLOBAL', severity: 'critical', offset: ev.at,
          global: { module: ev.target.module, name: ev.target.name },
          message: `BUILD sets attributes on ${ev.target.module}.${ev.target.name} itself (module/class poisoning gadget)` });
      }
      return;
    case 'mutation': {
      const cls = containerClass(ev.target);
      if (cls && CONTAINER_TYPES.has(cls)) return;
      ctx.sink.finding({ rule: 'SCAN_MUTATION', severity: 'high', offset: ev.at,
        message: `${ev.op} on ${cls ?? 'an object'}, which is not a list, dict or set: it calls the object's methods` });
      return;
    }
    case 'persid':
      if (ctx.profile !== 'torch') {
        ctx.sink.error({ code: 'PICKLE_PERSID', offset: ev.at, message: 'persistent id outside a PyTorch checkpoint' });
      }
      return;
    case 'nested':
    case 'array-payload':
      return;
  }
}

/** Applies every pickle rule to one interpreted stream, including a stream that broke part way. */
export function judgePickle(result: PickleResult, ctx: PickleRuleContext): void {
  for (const ev of result.events) judgeEvent(ctx, ev);
  if (result.error?.code === 'PICKLE_FRAME_VIOLATION') {
    // CPython's pickler never writes this; the C unpickler and pickletools disagree on it (cpython#154848).
    ctx.sink.finding({ rule: 'PICKLE_FRAME_VIOLATION', severity: 'high', offset: result.error.at.offset ?? result.end,
      message: 'an opcode crosses a FRAME boundary: loaders disagree on what this pickle contains' });
  }
  if (result.error) {
    ctx.sink.error({ code: result.error.code, message: result.error.message, offset: result.error.at.offset ?? result.end });
  }
}
