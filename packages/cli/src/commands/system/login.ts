import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function loginCommand(): Command {
  return new Command('login')
    .description('Log in to a registry (credentials go to ~/.docker/config.json)')
    .argument('[server]', 'registry host (default: Docker Hub)')
    .option('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password or token')
    .option('--password-stdin', 'read the password from stdin')
    .action(notBuilt('login', { root: false }));
}

export function logoutCommand(): Command {
  return new Command('logout')
    .description('Log out from a registry')
    .argument('[server]', 'registry host (default: Docker Hub)')
    .action(notBuilt('logout', { root: false }));
}
