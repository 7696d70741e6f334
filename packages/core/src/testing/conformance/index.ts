export { type SubjectBase, type TestBody, type TestFunctions } from './test-functions.js';
export {
  LAYER_TAR,
  LAYER_TAR_GZIP,
  layerBlob,
  layerTar,
  type LayerBlob,
  type LayerEntry,
} from './layer-tar.js';
export { readRootFile } from './root-reader.js';
export { describeStorageDriver, type StorageSubject, type StorageSuiteOptions } from './storage-suite.js';
export {
  describeResourcesDriver,
  type PlacedProcess,
  type ResourcesSubject,
  type ResourcesSuiteOptions,
} from './resources-suite.js';
export {
  describeNetworkDriver,
  type NetnsInterface,
  type NetworkSubject,
  type NetworkSuiteOptions,
} from './network-suite.js';
export {
  describeImageSource,
  type ImageSourceSubject,
  type ImageSourceSuiteOptions,
} from './image-source-suite.js';
export { describeVolumeDriver, type VolumeSubject, type VolumeSuiteOptions } from './volume-suite.js';
