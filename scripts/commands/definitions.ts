/**
 * The command line's one definition: each command's usage forms, as `diocheck help` prints them.
 * The parsers take their options from here (optionSpec: an option followed by a metavariable
 * takes a value, one that is not is a flag, one written twice in a form may repeat) and the help
 * prints these forms, so the two cannot disagree.
 */
import type { OptionSpec } from './options.ts';

export type CommandName =
  | 'run'
  | 'diff'
  | 'merge'
  | 'repro'
  | 'explain'
  | 'promote'
  | 'export'
  | 'confirm'
  | 'hunt'
  | 'explore';

/** The usage forms of each command, in the order help lists them. */
export const USAGE: Readonly<Record<CommandName, readonly string[]>> = {
  run: [
    '[--runs N | --time 60s] [--seed S] [--profile fast|soak|swarm] [--shard i/n] [--workers N] [--kernel K] [--json FILE] [--junit FILE] [--coverage] [--annotate FILE] [--out DIR] [--max-findings N | --stop-at-first] [--baseline DIR]',
  ],
  diff: ['--kernel A --kernel B [--runs N | --time T] [--seed S] [--json FILE]'],
  merge: ['A.json B.json ... [--json OUT] [--junit FILE]'],
  repro: ['--seed S --path P [--kernel K]', '--seed S [--runs N] [--kernel K]', 'FILE'],
  explain: ['FILE [--html OUT]'],
  promote: ['FILE --name NAME [--note TEXT] [--expect pass|violation] [--dir DIR]'],
  export: ['--xfs-io FILE [--out OUT]'],
  confirm: ['FILE [--cache DIR] [--bug NAME] [--record]'],
  hunt: [
    '[--bug NAME] [--seeds K] [--budget N] [--json FILE] [--out DIR] [--history FILE] [--record] [--strict]',
    '--bug NAME --replay RUNSEED [--out DIR]',
  ],
  explore: [
    '[--scenario NAME|FILE] [--bug NAME] [--max-faults K] [--crash] [--max-states M] [--json FILE] [--out DIR] [--no-prune] [--no-reduce]',
  ],
};

/** The words of a form, brackets and bars kept apart: `[--runs N | --time 60s]` → 6 words. */
function words(form: string): string[] {
  return form
    .replace(/([[\]])/g, ' $1 ')
    .split(/\s+/)
    .filter((w) => w !== '');
}

/** The options of a command, from its forms. */
export function optionSpec(
  command: CommandName,
): Required<Pick<OptionSpec, 'values' | 'flags' | 'repeatable'>> {
  const values: string[] = [];
  const flags: string[] = [];
  const repeatable: string[] = [];
  for (const form of USAGE[command]) {
    const w = words(form);
    const inForm = new Set<string>();
    w.forEach((word, i) => {
      if (!word.startsWith('--')) return;
      const name = word.slice(2);
      const next = w[i + 1];
      const takesValue = next !== undefined && !next.startsWith('--') && !['[', ']', '|'].includes(next);
      const list = takesValue ? values : flags;
      if (inForm.has(name) && !repeatable.includes(name)) repeatable.push(name);
      inForm.add(name);
      if (!list.includes(name)) list.push(name);
    });
  }
  return { values, flags, repeatable };
}

/** Help's width: a form longer than this goes on over indented lines. */
const WIDTH = 100;

/** `diocheck CMD FORM`, wrapped at bracket groups, continuation lines under the first option. */
export function synopsis(command: CommandName, form: string, indent = '  '): string {
  const head = `${indent}diocheck ${command} `;
  const groups = form.match(/\[[^\]]*\]|\S+/g) ?? [];
  const lines: string[] = [];
  let line = head;
  for (const g of groups) {
    if (line.length + g.length > WIDTH && line.trim() !== head.trim()) {
      lines.push(line.trimEnd());
      line = ' '.repeat(head.length);
    }
    line += `${g} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}
