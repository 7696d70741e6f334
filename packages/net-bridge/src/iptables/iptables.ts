import { spawn } from 'node:child_process';
import { HostError, type Logger } from '@koker/core';
import { deleteSavedScript, restoreScript, savedKokerRules, type SavedRule } from './restore-script.js';
import { type IptablesRule } from './rules.js';
import { detectIptables, type IptablesTools } from './iptables-tools.js';

function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Arguments as an array, never through a shell.
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) =>
      reject(new HostError(`cannot run ${file}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new HostError(`${file} ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`));
    });
    if (child.stdin) {
      // A program that dies early closes its stdin: its exit status tells why, not EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/**
 * koker's iptables rules, read with one `iptables-save` and changed with one
 * `iptables-restore --noflush` batch: two processes instead of one per rule.
 */
export class Iptables {
  private toolsCache?: IptablesTools;

  constructor(
    private readonly log: Logger,
    tools?: IptablesTools,
  ) {
    this.toolsCache = tools;
  }

  get tools(): IptablesTools {
    if (!this.toolsCache) {
      this.toolsCache = detectIptables();
      this.log.debug(
        { variant: this.toolsCache.variant, iptables: this.toolsCache.iptables },
        'Detect iptables backend',
      );
    }
    return this.toolsCache;
  }

  /** Every rule with a `koker:` comment, as the kernel has them now. */
  async kokerRules(): Promise<SavedRule[]> {
    this.log.debug({ program: this.tools.save }, 'Read iptables rules');
    return savedKokerRules(await run(this.tools.save, []));
  }

  /** Adds rules in one batch (all or none). */
  async add(rules: readonly IptablesRule[]): Promise<void> {
    if (rules.length === 0) return;
    for (const rule of rules) {
      this.log.debug(
        { table: rule.table, rule: rule.args.join(' '), comment: rule.comment },
        `${rule.position === 'insert' ? 'Insert' : 'Append'} ${rule.chain} rule`,
      );
    }
    await run(this.tools.restore, ['-w', '--noflush'], restoreScript(rules, 'add'));
  }

  /**
   * Deletes rules by their spec in one batch; false (and nothing deleted) when one of them is
   * missing, so the caller can fall back to reading what is there.
   */
  async deleteIfAllPresent(rules: readonly IptablesRule[]): Promise<boolean> {
    if (rules.length === 0) return true;
    try {
      await run(this.tools.restore, ['-w', '--noflush'], restoreScript(rules, 'delete'));
    } catch {
      return false;
    }
    for (const rule of rules)
      this.log.debug(
        { table: rule.table, rule: rule.args.join(' '), comment: rule.comment },
        `Delete ${rule.chain} rule`,
      );
    return true;
  }

  /** Deletes rules exactly as `kokerRules` returned them. */
  async delete(saved: readonly SavedRule[]): Promise<void> {
    if (saved.length === 0) return;
    for (const rule of saved)
      this.log.debug({ table: rule.table, rule: rule.line }, `Delete ${rule.chain} rule`);
    await run(this.tools.restore, ['-w', '--noflush'], deleteSavedScript(saved));
  }
}
