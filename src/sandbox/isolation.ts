import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What the host lets us do to confine a worker, detected once (../shared/spec/serving.md §2). */
export interface Isolation {
  /** Node's permission flag: `--permission` from Node 22, `--experimental-permission` on 20. */
  readonly permissionFlag: '--permission' | '--experimental-permission';
  /** prlimit(1) for CPU seconds, address space and open files. */
  readonly prlimit?: string;
  /** unshare(1) works: workers get a fresh network namespace with no interfaces (root on Linux). */
  readonly unshare?: string;
  /** One line for the log: what the sandbox actually achieved. */
  readonly summary: string;
}

let cached: Omit<Isolation, 'summary'> | undefined;

/** What the permission flags deny, per kind of worker (PoolOptions.kind: onnx workers get --allow-addons, artifact workers no eval). */
const DENIED = {
  artifact: 'no writes, child processes, workers, addons or eval',
  onnx: 'no writes, child processes, workers or addons other than ONNX Runtime, whose native code the permission model does not confine',
} as const;

const which = (name: string): string | undefined => ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => `${d}/${name}`).find((p) => existsSync(p));

/** Detects the isolation available on this host (once). `unshare --net` is tried for real, not assumed. */
export function detectIsolation(kind: keyof typeof DENIED = 'artifact'): Isolation {
  if (!cached) {
    const permissionFlag = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
    const prlimit = process.platform === 'linux' ? which('prlimit') : undefined;
    let unshare = process.platform === 'linux' ? which('unshare') : undefined;
    if (unshare && spawnSync(unshare, ['--net', 'true'], { stdio: 'ignore', timeout: 5000 }).status !== 0) unshare = undefined;
    cached = { permissionFlag, ...(prlimit ? { prlimit } : {}), ...(unshare ? { unshare } : {}) };
  }
  const { permissionFlag, prlimit, unshare } = cached;
  const parts = [`node ${permissionFlag} (fs read: code only; ${DENIED[kind]})`,
    prlimit ? 'prlimit (CPU seconds, address space, open files)' : 'no prlimit: no CPU/memory rlimits',
    unshare ? 'private network namespace (no network at all)' : 'no network namespace (needs root or user namespaces): workers can open sockets'];
  return { ...cached, summary: parts.join('; ') };
}
