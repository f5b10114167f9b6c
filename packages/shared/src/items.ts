/**
 * What encoding items needs and nothing more (`@runledger/shared/items`): the item schema, the
 * stored form, scrubbing and the 400/413 errors, without Redis, BullMQ or tracing. The API's
 * item-line worker threads (apps/api/src/item-lines.ts) load this entry alone, which keeps each
 * thread's start and memory small.
 */
import type { Item, StoredItem } from './schemas.js';

export { type FieldError, PayloadTooLargeError, ValidationError } from './errors.js';
export { type Item, ItemSchema, type StoredItem } from './schemas.js';
export { type Scrubber, type ScrubPolicy, scrubberFor } from './scrub.js';

/** The stored form of `item` at `index` (id defaults to the index); key order is fixed for hashing. */
export function toStoredItem(item: Item | StoredItem, index: number): StoredItem {
  const stored: StoredItem = { id: item.id ?? String(index), input: item.input };
  if (item.expectedOutput !== undefined) stored.expectedOutput = item.expectedOutput;
  if (item.metadata !== undefined) stored.metadata = item.metadata;
  return stored;
}
