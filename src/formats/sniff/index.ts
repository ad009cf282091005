/**
 * Content sniffing (threats.md §6): what a file or archive member is, from its bytes only.
 *
 * @packageDocumentation
 */
export { sniff, SNIFF_RULES, SNIFF_HEAD_BYTES, SNIFF_TAIL_BYTES, SAFETENSORS_MAX_HEADER_BYTES, type Sniffed, type SniffKind } from './sniff.js';
