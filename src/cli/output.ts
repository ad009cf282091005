/** Terminal output with colour only on a TTY (and never when NO_COLOR is set). */
export interface Output {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly color: boolean;
  readonly isTTY: boolean;
}

export function makeOutput(stream: NodeJS.WriteStream = process.stdout, errStream: NodeJS.WriteStream = process.stderr): Output {
  // `modelvault … | head` closes the pipe early: stop writing quietly instead of crashing with EPIPE.
  for (const s of [stream, errStream]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(process.exitCode ?? 0);
    });
  }
  const isTTY = Boolean(stream.isTTY);
  return {
    out: (s) => void stream.write(s.endsWith('\n') ? s : `${s}\n`),
    err: (s) => void errStream.write(s.endsWith('\n') ? s : `${s}\n`),
    color: isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
    isTTY: Boolean(errStream.isTTY),
  };
}

const SGR = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Colour = keyof typeof SGR;

export const paint = (o: Output, c: Colour, s: string): string => (o.color ? `\x1b[${SGR[c]}m${s}\x1b[0m` : s);

/** The head of a model description (OutputSchema) as inspect and convert print it. */
export interface HeadSummary {
  readonly classes?: readonly unknown[];
  readonly n_classes?: readonly number[];
  readonly n_outputs?: number;
  readonly methods: readonly string[];
}

/** ", classes [...]" (per output for a multi-output classifier) or ", N outputs". */
export function headText(h: HeadSummary): string {
  if (!h.classes) return `, ${h.n_outputs} output${h.n_outputs === 1 ? '' : 's'}`;
  if (!h.n_classes) return `, classes ${JSON.stringify(h.classes)}`;
  let at = 0;
  const lists = h.n_classes.map((c) => h.classes!.slice(at, (at += c)));
  return `, ${h.n_classes.length} outputs with classes ${lists.map((l) => JSON.stringify(l)).join(', ')}`;
}
