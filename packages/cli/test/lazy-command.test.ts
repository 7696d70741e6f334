import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { commandIndex } from '../src/lazy-command.js';
import { buildProgram } from '../src/program.js';

const names = async (argv: string[]) => (await buildProgram(argv)).commands.map((c) => c.name());

// Loading commands transforms their sources first: slow on a loaded machine, not a timing test.
describe('the lazy command tree', { timeout: 60_000 }, () => {
  it('finds the command word past global options and their values', () => {
    expect(commandIndex(['run', 'busybox'])).toBe(0);
    expect(commandIndex(['-D', '--root', '/tmp/x', 'run', '-v', 'busybox'])).toBe(3);
    expect(commandIndex(['--log-format', 'json', '--root=/x', 'ps'])).toBe(3);
    expect(commandIndex(['--', 'images'])).toBe(1);
    expect(commandIndex(['-q', '--version'])).toBe(-1);
  });

  it('loads only the command the command line names', async () => {
    expect(await names(['-q', 'run', '--rm', 'busybox', 'true'])).toEqual(['run']);
    expect(await names(['--root', '/tmp/x', 'images'])).toEqual(['images']);
    expect(await names(['--version'])).toEqual([]);
  });

  it("loads a group's named subcommand only", async () => {
    const program = await buildProgram(['container', 'ls', '-a']);
    expect(program.commands.map((c) => c.name())).toEqual(['container']);
    expect(program.commands[0]!.commands.map((c) => c.name())).toEqual(['ls']);
    expect(program.commands[0]!.commands[0]!.aliases()).toEqual(['ps', 'list']);
  });

  it('loads every command for help or an unknown word, so commander can explain', async () => {
    const all = await names([]);
    for (const name of ['container', 'image', 'run', 'ps', 'pull', 'images', 'system', 'info'])
      expect(all).toContain(name);
    expect(await names(['rnu'])).toEqual(all);
    const group = (await buildProgram(['image', 'nope'])).commands[0]!;
    expect(group.commands.map((c) => c.name())).toEqual(
      expect.arrayContaining(['pull', 'ls', 'rm', 'inspect', 'prune', 'load', 'save']),
    );
  });
});
