import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

/** `koker pull` / `koker image pull`. */
export function pullCommand(name = 'pull'): Command {
  return new Command(name)
    .description('Pull an image from a registry')
    .argument('<image>', 'image reference, e.g. busybox or localhost:5000/app:1')
    .option('--platform <os/arch>', 'platform to pull, e.g. linux/arm64')
    .option('-q, --quiet', 'print only the image ID, no progress')
    .action(notBuilt('image pull'));
}
