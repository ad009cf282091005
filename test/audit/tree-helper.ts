import { CompactRange, hashLeaf, type GetNode } from '../../src/audit/index.js';

/** An in-memory store of complete subtrees, filled the way AuditStore fills audit_nodes. */
export function memoryTree(leaves: readonly Uint8Array[]): { leafHashes: Uint8Array[]; getNode: GetNode; lookups: () => number } {
  const leafHashes = leaves.map(hashLeaf);
  const nodes = new Map<string, Uint8Array>();
  const range = new CompactRange();
  for (const h of leafHashes) range.append(h, (level, index, hash) => nodes.set(`${level}/${index}`, hash));
  let count = 0;
  const getNode: GetNode = (level, index) => {
    count++;
    const h = level === 0 ? leafHashes[index] : nodes.get(`${level}/${index}`);
    if (!h) throw new Error(`no node ${level}/${index}`);
    return h;
  };
  return { leafHashes, getNode, lookups: () => count };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
