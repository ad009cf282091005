/** Upper half of code page 437, the ZIP default name encoding when flag bit 11 is clear (APPNOTE appendix D). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a member name: UTF-8 when flag bit 11 is set (falling back to CP437 when it is not valid
 * UTF-8, reported by the caller as unsafe), else CP437, as Python's zipfile does.
 */
export function decodeName(bytes: Uint8Array, utf8: boolean): { name: string; validUtf8: boolean } {
  if (utf8) {
    try {
      return { name: UTF8.decode(bytes), validUtf8: true };
    } catch {
      return { name: decodeCp437(bytes), validUtf8: false };
    }
  }
  return { name: decodeCp437(bytes), validUtf8: true };
}

/** Decodes bytes as code page 437 (the ZIP default name encoding). */
export function decodeCp437(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
  return s;
}

/**
 * Why a member name is unsafe to extract (never extracted by us, but reported): absolute paths,
 * drive letters, `..` segments, backslashes, NUL, empty. Returns undefined for a safe name.
 * Shared with tar (threats.md §5 rule 5).
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'name contains NUL';
  if (name.includes('\\')) return 'name contains a backslash';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive-letter path';
  if (name.split('/').includes('..')) return 'path contains a .. segment';
  return undefined;
}
