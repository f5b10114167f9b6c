/**
 * The worker-thread entry of `ItemLineEncoder` (Piscina's `filename`): one task is one batch of
 * NDJSON item lines, answered by `encodeItemLines`.
 */
import { encodeItemLines, type ItemLinesResult, type ItemLinesTask } from './item-lines.js';

/** Piscina's task handler: `encodeItemLines(task)`. */
export default function encode(task: ItemLinesTask): ItemLinesResult {
  return encodeItemLines(task);
}
