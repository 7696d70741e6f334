import { Command } from 'commander';
import { formatDecimalSize, NotFoundError } from '@koker/core';
import {
  bytePath,
  copyFromTar,
  copyToTar,
  copyTree,
  inContainer,
  ON_HOST,
  type CopyEnd,
  type CopyOptions,
  type CopyResult,
} from '@koker/fs-overlay';
import { contextOf } from '../../command-context.js';
import { withContainerRoot } from '../../containers/container-root.js';
import { containerPath, copyDirection } from '../../copy/cp-args.js';
import { readerWentAway } from '../../output/output-file.js';

interface CpOptions {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

/** A host path that does not exist: Go's lstat wording, as Docker prints it. */
function hostEnd(path: string): CopyEnd {
  return {
    base: ON_HOST,
    path: bytePath(path),
    notFound: (missing) => new NotFoundError(`lstat ${missing}: no such file or directory`),
  };
}

export function cpCommand(name = 'cp'): Command {
  return new Command(name)
    .description(
      'Copy files/folders between a container and the local filesystem\n\n' +
        'Use "-" as the source to read a tar archive from stdin and extract it to a directory\n' +
        'destination in a container. Use "-" as the destination to stream a tar archive of a\n' +
        'container source to stdout.',
    )
    .usage(
      '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       koker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    )
    .argument('<src>')
    .argument('<dest>')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option(
      '-q, --quiet',
      'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
    )
    .action(async (src: string, dest: string, options: CpOptions, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('cp');
      const direction = copyDirection(src, dest);
      const archive = options.archive ?? false;
      const base = {
        followLink: options.followLink ?? false,
        devices: archive,
        xattrs: archive ? ('archive' as const) : ('capabilities' as const),
        log: ctx.log,
      };
      let result: CopyResult;
      if (direction.kind === 'from-container') {
        const sourcePath = containerPath(direction.source);
        result = await withContainerRoot(ctx, direction.container, 'live', async (root) => {
          const source: CopyEnd = {
            base: inContainer(root.fd),
            path: bytePath(sourcePath),
            notFound: (missing) =>
              new NotFoundError(`Could not find the file ${missing} in container ${direction.container}`),
          };
          if (direction.destination.kind === 'stream') {
            return copyToTar(source, process.stdout, { ...base, owner: { keep: true } }).catch(
              (error: unknown) => {
                if (readerWentAway(error)) return { bytes: 0 };
                throw error;
              },
            );
          }
          // Files copied out belong to the user running cp, unless -a keeps the container's owners.
          const owner: CopyOptions['owner'] = archive
            ? { keep: true }
            : { keep: false, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
          return copyTree(source, hostEnd(direction.destination.path), { ...base, owner });
        });
      } else {
        const destPath = containerPath(direction.destination);
        // Files copied in belong to root in the container, unless -a keeps the source's owners.
        const owner: CopyOptions['owner'] = archive ? { keep: true } : { keep: false, uid: 0, gid: 0 };
        result = await withContainerRoot(ctx, direction.container, 'live', async (root) => {
          const destination: CopyEnd = {
            base: inContainer(root.fd),
            path: bytePath(destPath),
            notFound: (missing) =>
              new NotFoundError(`Could not find the file ${missing} in container ${direction.container}`),
          };
          if (direction.source.kind === 'stream') {
            return copyFromTar(
              process.stdin,
              destination,
              { ...base, owner },
              `${direction.container}:${direction.destination}`,
            );
          }
          return copyTree(hostEnd(direction.source.path), destination, { ...base, owner });
        });
      }
      const streamed =
        direction.kind === 'from-container'
          ? direction.destination.kind === 'stream'
          : direction.source.kind === 'stream';
      if (!options.quiet && !streamed && process.stderr.isTTY) {
        process.stderr.write(`Successfully copied ${formatDecimalSize(result.bytes)} to ${dest}\n`);
      }
    });
}
