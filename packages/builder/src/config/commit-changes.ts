import { DockerfileError } from '../dockerfile/dockerfile-error.js';
import { parseDockerfile } from '../dockerfile/parse-dockerfile.js';
import { applyConfigInstruction, envMap, type RunConfig } from './apply-config-instruction.js';

/** The instructions `commit --change` (and `import --change`) accepts, as Docker does. */
export const CHANGE_KEYWORDS: ReadonlySet<string> = new Set([
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'LABEL',
  'ONBUILD',
  'USER',
  'VOLUME',
  'WORKDIR',
  'STOPSIGNAL',
  'HEALTHCHECK',
]);

/**
 * Applies `--change` values (one Dockerfile instruction each) to a copy of `config`, in order;
 * variables expand from the config's own ENV. An instruction outside CHANGE_KEYWORDS is refused.
 */
export function applyChanges(config: RunConfig, changes: readonly string[]): RunConfig {
  const result: RunConfig = structuredClone(config);
  const state = { cmdSet: false };
  for (const change of changes) {
    const parsed = parseDockerfile(change).instructions;
    const instruction = parsed[0];
    if (!instruction) continue;
    if (parsed.length > 1 || !CHANGE_KEYWORDS.has(instruction.keyword))
      throw new DockerfileError(`${instruction.keyword} is not a valid change command`);
    applyConfigInstruction(result, instruction, envMap(result), state);
  }
  return result;
}
