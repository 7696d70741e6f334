export {
  parseDockerfile,
  type Dockerfile,
  type Heredoc,
  type Instruction,
} from './dockerfile/parse-dockerfile.js';
export { DockerfileError } from './dockerfile/dockerfile-error.js';
export { expandString, expandWords, jsonForm, keyValuePairs, type Variables } from './dockerfile/words.js';
export {
  applyConfigInstruction,
  commandForm,
  CONFIG_KEYWORDS,
  DEFAULT_SHELL,
  envMap,
  type RunConfig,
  type StageState,
} from './config/apply-config-instruction.js';
export { applyChanges, CHANGE_KEYWORDS } from './config/commit-changes.js';
export {
  type BuildBackend,
  type BuildProgress,
  type BuiltImage,
  type FileEntry,
  type FileSource,
  type MountFiles,
  type RunMount,
  type RunStep,
} from './image-build/backend.js';
export { parseRunMount, type RunMountSpec } from './image-build/run-mounts.js';
export { DockerIgnore } from './image-build/dockerignore.js';
export { ImageBuilder, type BuildOptions } from './image-build/image-builder.js';
export { BuildStepError } from './image-build/build-step-error.js';
