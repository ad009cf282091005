/**
 * DSSE pre-authentication encoding (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md):
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN = ASCII decimal byte length.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const head = Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType, 'utf8')} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([head, payload]);
}
