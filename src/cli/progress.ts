import type { Output } from './output.js';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const QUIET: Progress = { update: () => {}, stop: () => {} };

/**
 * A progress bar on stderr, only on a TTY and only once the work looks large (more than a second or
 * many items), so small runs and pipes stay clean. cli-progress is loaded only when a bar is shown.
 */
export function startProgress(out: Output, label: string, minItems = 50): Progress {
  if (!out.isTTY || process.env.CI) return QUIET;
  const started = Date.now();
  let bar: { start(t: number, v: number): void; update(v: number): void; setTotal(t: number): void; stop(): void } | undefined;
  let loading = false;
  return {
    update(done, total) {
      if (!bar && !loading && (total >= minItems || Date.now() - started > 1000)) {
        loading = true;
        void import('cli-progress').then((m) => {
          const cp = (m as unknown as { default: typeof import('cli-progress') }).default ?? m;
          bar = new cp.SingleBar({ format: `${label} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr, clearOnComplete: true, hideCursor: true }, cp.Presets.shades_classic);
          bar.start(total, done);
        });
      }
      if (bar) {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
