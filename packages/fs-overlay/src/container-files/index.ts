export {
  openRunningRoot,
  copyRootfsDirectory,
  openStoppedRoot,
  rootFromPath,
  upperDirectory,
  type ContainerRoot,
} from './container-root.js';
export { copyChanges, overlayChanges, type Change, type ChangeKind } from './changes.js';
export { copyFromTar, copyToTar, copyTree, type CopyEnd, type CopyOptions, type CopyResult } from './copy.js';
export { assertsDirectory, copiesContents, copyTarget, CopyRuleError } from './copy-rules.js';
export { bytePath, inContainer, lstatIn, ON_HOST, textPath, type PathBase } from './in-root.js';
export { readTree } from './tree-reader.js';
export { tarChunks } from './tar-decompress.js';
export { writeTar } from './tar-out.js';
export { type OwnerPolicy } from './tree-writer.js';
export { directorySource, imageSource, treeSource, type TreeSource } from './tree-source.js';
export { type TreeEntry, type TreeEntryType } from './tree-entry.js';
