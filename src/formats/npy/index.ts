/**
 * .npy header parser (formats.md §3.6): strict, hand-written, never evaluates the Python literal.
 * An object dtype means a pickle follows the header; the scanner scans it.
 *
 * @packageDocumentation
 */
export { parseNpy, NPY_MAGIC, MAX_NPY_HEADER_BYTES, type NpyHeader, type NpyField } from './parse.js';
export { parseDtypeString, NPY_KINDS, type NpyDtype } from './dtype.js';
export { parsePyLiteral, MAX_LITERAL_DEPTH, type PyLiteral } from './literal.js';
