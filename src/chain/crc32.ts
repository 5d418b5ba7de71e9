/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial), used to detect torn or damaged records in the
 * append-only logs. zlib.crc32 only exists from Node 20.15 and package.json promises ">=20", so
 * this small table-driven version keeps every Node 20 working; record checksums are not a hot
 * spot next to sha-256 and fsync.
 */

const TABLE = makeTable();

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 of `data`, as an unsigned 32-bit number (same value as zlib.crc32). */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
