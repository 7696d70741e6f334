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
