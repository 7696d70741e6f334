import { type IptablesRule, type IptablesTable } from './rules.js';

/** A rule as `iptables-save` printed it: its table and its `-A CHAIN ...` line. */
export interface SavedRule {
  readonly table: IptablesTable;
  readonly chain: string;
  readonly comment: string;
  readonly line: string;
}

const SAFE_TOKEN = /^[A-Za-z0-9_.:/,!+=@-]+$/;

function token(value: string): string {
  // Every token is koker's own (validated names, addresses, numbers): no quoting is ever needed,
  // so anything else is a bug, not something to escape.
  if (!SAFE_TOKEN.test(value)) throw new Error(`unsafe iptables argument ${JSON.stringify(value)}`);
  return value;
}

/** The full argument list of a rule: its matches, the koker comment, then its target. */
export function ruleArguments(rule: IptablesRule): string[] {
  const comment = ['-m', 'comment', '--comment', rule.comment];
  const jump = rule.args.indexOf('-j');
  if (jump === -1) return [...rule.args, ...comment];
  return [...rule.args.slice(0, jump), ...comment, ...rule.args.slice(jump)];
}

/** An `iptables-restore --noflush` script adding rules (in order) or deleting them by their spec. */
export function restoreScript(rules: readonly IptablesRule[], action: 'add' | 'delete'): string {
  const byTable = new Map<IptablesTable, string[]>();
  for (const rule of rules) {
    const verb = action === 'delete' ? '-D' : rule.position === 'insert' ? '-I' : '-A';
    const line = [verb, token(rule.chain), ...ruleArguments(rule).map(token)].join(' ');
    byTable.set(rule.table, [...(byTable.get(rule.table) ?? []), line]);
  }
  return [...byTable].map(([table, lines]) => `*${table}\n${lines.join('\n')}\nCOMMIT\n`).join('');
}

/** A script deleting rules exactly as `iptables-save` printed them. */
export function deleteSavedScript(saved: readonly SavedRule[]): string {
  const byTable = new Map<IptablesTable, string[]>();
  for (const rule of saved) {
    byTable.set(rule.table, [...(byTable.get(rule.table) ?? []), `-D${rule.line.slice(2)}`]);
  }
  return [...byTable].map(([table, lines]) => `*${table}\n${lines.join('\n')}\nCOMMIT\n`).join('');
}

/** koker's rules in `iptables-save` output: every `-A` line of nat/filter/mangle with a `koker:` comment. */
export function savedKokerRules(saveOutput: string): SavedRule[] {
  const rules: SavedRule[] = [];
  let table: string | undefined;
  for (const line of saveOutput.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    if (!line.startsWith('-A ') || (table !== 'nat' && table !== 'filter' && table !== 'mangle')) continue;
    const comment = /--comment "?(koker:[^"\s]+)"?/.exec(line)?.[1];
    if (!comment) continue;
    rules.push({ table, chain: line.split(' ')[1] as string, comment, line });
  }
  return rules;
}
