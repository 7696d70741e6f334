export { OverlayStorageDriver, type OverlayDriverDeps } from './driver.js';
export { CopyStorageDriver } from './copy/copy-driver.js';
export { probe } from './probe.js';
export { probeCopy } from './copy/copy-probe.js';
export { applyLayer, DEFAULT_LAYER_LIMITS, type ApplierSettings } from './apply/apply-layer.js';
export { type ZstdDecoder } from './apply/decompress.js';
export { type MountMethod } from './overlay/overlay-mount.js';
export { readMergedFile, resolveMerged } from './overlay/merged-read.js';
export { register } from './register.js';
