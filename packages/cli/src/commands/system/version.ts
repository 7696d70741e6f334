import { arch, release } from 'node:os';
import { Command } from 'commander';
import { VERSION } from '../../version.js';
import { parseFormat, renderTemplate } from '../../output/template/index.js';

/** The Docker Engine API version whose semantics koker's commands follow (Docker 26). */
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

/** `koker version`'s document: Docker's Client and Server shape (koker is both: no daemon). */
export function versionDocument() {
  const osArch = `linux/${GOARCH[arch()] ?? arch()}`;
  const [os, architecture] = osArch.split('/') as [string, string];
  return {
    Client: {
      Platform: { Name: 'koker' },
      Version: VERSION,
      ApiVersion: API_VERSION,
      DefaultAPIVersion: API_VERSION,
      NodeVersion: process.versions.node,
      Os: os,
      Arch: architecture,
      Context: 'default',
    },
    Server: {
      Platform: { Name: 'koker (no daemon: the engine runs in each command)' },
      Components: [
        {
          Name: 'Engine',
          Version: VERSION,
          Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION },
        },
      ],
      Version: VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      Os: os,
      Arch: architecture,
      KernelVersion: release(),
    },
  };
}

function text(doc: ReturnType<typeof versionDocument>): string {
  const c = doc.Client;
  const s = doc.Server;
  return [
    'Client:',
    ` Version:           ${c.Version}`,
    ` API version:       ${c.ApiVersion}`,
    ` Node.js version:   ${c.NodeVersion}`,
    ` OS/Arch:           ${c.Os}/${c.Arch}`,
    ` Context:           ${c.Context}`,
    '',
    'Server: koker Engine',
    ' Engine:',
    `  Version:          ${s.Version}`,
    `  API version:      ${s.ApiVersion} (minimum version ${s.MinAPIVersion})`,
    `  OS/Arch:          ${s.Os}/${s.Arch}`,
    `  Kernel version:   ${s.KernelVersion}`,
    '',
  ].join('\n');
}

export function versionCommand(name = 'version'): Command {
  return new Command(name)
    .description('Show the koker version information')
    .option('-f, --format <format>', 'format the output using a Go template, or json')
    .action((options: { format?: string }) => {
      const doc = versionDocument();
      const format = parseFormat(options.format);
      if (format.kind === 'json') process.stdout.write(`${JSON.stringify(doc)}\n`);
      else if (format.kind === 'table' && !format.template) process.stdout.write(text(doc));
      else if (format.template)
        process.stdout.write(renderTemplate(format.template, [doc], { table: false }));
    });
}
