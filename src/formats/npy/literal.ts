import { MvError } from '../../core/index.js';

/**
 * The Python literals a .npy header may contain (numpy `_read_array_header` uses
 * `ast.literal_eval`; we parse the same subset by hand and never evaluate anything).
 */
export type PyLiteral =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'none' }
  | { readonly kind: 'tuple' | 'list'; readonly items: readonly PyLiteral[] }
  | { readonly kind: 'dict'; readonly entries: readonly (readonly [PyLiteral, PyLiteral])[] };

/** Deepest nesting accepted (structured dtypes nest a few levels). */
export const MAX_LITERAL_DEPTH = 32;

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** Parses one Python literal filling `text` (surrounding whitespace allowed). `base` offsets errors. */
export function parsePyLiteral(text: string, base: number): PyLiteral {
  let i = 0;
  const fail = (why: string): never => {
    throw new MvError('NPY_HEADER_INVALID', `header: ${why}`, { offset: base + i });
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const value = (depth: number): PyLiteral => {
    if (depth > MAX_LITERAL_DEPTH) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === undefined) return fail('unexpected end');
    if (c === "'" || c === '"') return str(c);
    if (c === '(' || c === '[') return seq(c === '(' ? ')' : ']', depth);
    if (c === '{') return dict(depth);
    const word = /^(?:True|False|None|-?[0-9]+)/.exec(text.slice(i, i + 32))?.[0];
    if (!word) return fail(`unexpected ${JSON.stringify(c)}`);
    i += word.length;
    if (word === 'True' || word === 'False') return { kind: 'bool', value: word === 'True' };
    if (word === 'None') return { kind: 'none' };
    const n = Number(word);
    if (!Number.isSafeInteger(n)) fail(`integer ${word} is out of range`);
    return { kind: 'int', value: n };
  };
  const str = (q: string): PyLiteral => {
    i++;
    let s = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined || c === '\n') return fail('unterminated string');
      if (c === q) return { kind: 'str', value: s };
      if (c === '\\') {
        const e = ESCAPES[text[i++] ?? ''];
        if (e === undefined) return fail('unsupported string escape');
        s += e;
      } else s += c;
    }
  };
  const seq = (close: string, depth: number): PyLiteral => {
    const open = text[i++];
    const items: PyLiteral[] = [];
    let trailingComma = false;
    for (;;) {
      ws();
      if (text[i] === close) break;
      items.push(value(depth + 1));
      ws();
      trailingComma = text[i] === ',';
      if (trailingComma) i++;
      else if (text[i] !== close) fail(`expected , or ${close}`);
    }
    i++;
    // (x) is a parenthesised value, not a tuple: Python needs (x,).
    if (open === '(' && items.length === 1 && !trailingComma) return items[0]!;
    return { kind: open === '(' ? 'tuple' : 'list', items };
  };
  const dict = (depth: number): PyLiteral => {
    i++;
    const entries: [PyLiteral, PyLiteral][] = [];
    for (;;) {
      ws();
      if (text[i] === '}') break;
      const k = value(depth + 1);
      ws();
      if (text[i++] !== ':') fail('expected :');
      entries.push([k, value(depth + 1)]);
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== '}') fail('expected , or }');
    }
    i++;
    return { kind: 'dict', entries };
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters after the literal');
  return v;
}
