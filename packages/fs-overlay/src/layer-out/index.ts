export {
  upperLayerEntries,
  OPAQUE_MARKER,
  WHITEOUT_PREFIX,
  type LayerEntry,
  type UpperEntriesOptions,
} from './upper-entries.js';
export { writeLayerBlob, type WrittenLayer } from './write-layer.js';
