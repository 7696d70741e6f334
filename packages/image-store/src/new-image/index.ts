export { deriveImageConfig, type ConfigDerivation, type HistoryEntry } from './image-config-out.js';
export {
  storeNewImage,
  type LayerBlobFile,
  type NewImageContext,
  type NewImageParts,
} from './store-new-image.js';
