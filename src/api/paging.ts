import type { Block } from "../chain/types";
import { PAGE_BYTES } from "../wire/limits";

/**
 * The first blocks of `blocks` (already bounded by count) that fit in `maxBytes` as `sizeOf`
 * measures them, and always the first one: a caller pages on from the next height, so a page
 * shorter than asked is not the end of the chain, and a page never comes back empty while
 * there are blocks to give.
 */
export function pageOf(blocks: readonly Block[], sizeOf: (b: Block) => number, maxBytes: number = PAGE_BYTES): Block[] {
  const page: Block[] = [];
  let bytes = 0;
  for (const b of blocks) {
    bytes += sizeOf(b);
    if (page.length > 0 && bytes > maxBytes) break;
    page.push(b);
  }
  return page;
}
