// Shared by the bench/predict scripts: where the build is, command-line values, medians.

/** The build to time: dist/, or MV_DIST (another build, for before/after comparisons in the same conditions). */
export const DIST = process.env.MV_DIST ?? new URL('../../dist/', import.meta.url).pathname;

/** The value after `--name` on the command line, else `def`. */
export const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
