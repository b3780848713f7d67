/**
 * The commands README.md shows, so that scripts/readmeCommands.test.ts can run every one of them:
 * each line of a fenced code block that starts a command (`npm`, `npx`, `sh`, `bash`, or a YAML
 * step's `- run: `), and each inline code span that is a whole command (`npm ...`, `npx ...`,
 * `bash ...`). Lines of program output in a block (a `replay:` report) are not commands, but the
 * commands they print are.
 */
import { readFileSync } from 'node:fs';

const COMMAND_START = /^(npm|npx|sh|bash) /;

export interface ReadmeCommand {
  /** The command as the README writes it (a trailing `# comment` removed). */
  readonly text: string;
  /** 1-based line of README.md. */
  readonly line: number;
  readonly where: 'block' | 'inline';
}

function clean(text: string): string {
  return text.replace(/\s+#.*$/, '').trim();
}

export function readmeCommands(markdown: string): ReadmeCommand[] {
  const found: ReadmeCommand[] = [];
  const lines = markdown.split('\n');
  let fence: string | null = null;
  let pending: { text: string; line: number } | null = null;
  const push = (text: string, line: number, where: ReadmeCommand['where']): void => {
    found.push({ text: clean(text), line, where });
  };
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const fenceMatch = raw.match(/^\s*(```+)/);
    if (fenceMatch !== null) {
      fence = fence === null ? (fenceMatch[1] ?? '```') : null;
      return;
    }
    if (fence !== null) {
      const text = raw.trim();
      // A synopsis continued on the next line (its options indented under the command).
      if (pending !== null && /^\[/.test(text)) {
        pending.text += ` ${text}`;
        return;
      }
      if (pending !== null) push(pending.text, pending.line, 'block');
      pending = null;
      const step = text.match(/^- run: (.*)$/);
      const printed = text.match(/^replay:\s*(npx diocheck .*)$/);
      if (step !== null) push(step[1] ?? '', lineNo, 'block');
      else if (COMMAND_START.test(text)) pending = { text, line: lineNo };
      else if (printed !== null) push(printed[1] ?? '', lineNo, 'block');
      return;
    }
    if (pending !== null) push(pending.text, pending.line, 'block');
    pending = null;
    for (const m of raw.matchAll(/`([^`]+)`/g)) {
      const span = (m[1] ?? '').trim();
      if (/^(npm (run|test|ci)|npx|bash) ?/.test(span) && span !== 'npm run') push(span, lineNo, 'inline');
    }
  });
  return found;
}

export function readmeCommandsOf(file: string): ReadmeCommand[] {
  return readmeCommands(readFileSync(file, 'utf8'));
}

/** Options whose value a test may change or that it may add: the budget of a campaign or hunt. */
const BUDGET_OPTIONS = new Set(['--runs', '--time', '--seeds', '--budget', '--seed']);
/** A placeholder the README writes for a value: FILE, NAME, S, out/counterexamples/X.json, ${{ ... }}. */
const PLACEHOLDER = /^(S|P|K|N|M|FILE|NAME|RUNSEED|DIR|TEXT|RELEASE)$|X\.json$/;
const TEMPLATE = '\u0002';

type Item = string | readonly string[];

function items(readme: string): Item[] {
  const out: Item[] = [];
  // A GitHub expression (`${{ matrix.shard }}`) stands for a value, as a placeholder does.
  const text = readme.replace(/\$\{\{[^}]*\}\}/g, TEMPLATE);
  for (const m of text.matchAll(/\[([^\]]*)\]|(\S+)/g)) {
    if (m[1] !== undefined) out.push(m[1].split(/\s+/).filter((t) => t !== ''));
    else out.push(m[2] ?? '');
  }
  return out;
}

function tokenMatches(shown: string, actual: string | undefined, previous: string): boolean {
  if (actual === undefined) return false;
  if (shown === actual || BUDGET_OPTIONS.has(previous)) return true;
  if (BUDGET_OPTIONS.has(shown) && BUDGET_OPTIONS.has(actual)) return true;
  if (shown.includes(TEMPLATE)) {
    const parts = shown.split(TEMPLATE).map((p) => p.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'));
    return new RegExp(`^${parts.join('\\S+')}$`).test(actual);
  }
  return shown.split('|').some((alt) => alt === actual || PLACEHOLDER.test(alt));
}

/**
 * Whether `run` is the README's command `readme` with only a budget shortened (or added),
 * placeholders filled in and optional `[...]` groups left out or filled in.
 */
export function sameCommand(readme: string, run: string): boolean {
  const shown = items(readme);
  const actual = run.split(/\s+/).filter((t) => t !== '');
  const flat = new Set(shown.flat());
  const match = (i: number, j: number, previous: string): boolean => {
    const b = actual[j];
    // An added budget option (one the README's command does not show) may be skipped.
    if (b !== undefined && BUDGET_OPTIONS.has(b) && !flat.has(b) && match(i, j + 2, previous)) return true;
    // npm's `--` before options added to an npm script that the README shows without any.
    if (b === '--' && !flat.has('--') && BUDGET_OPTIONS.has(actual[j + 1] ?? '') && match(i, j + 1, previous))
      return true;
    if (i === shown.length) return j === actual.length;
    const item = shown[i] as Item;
    if (typeof item === 'string') return tokenMatches(item, b, previous) && match(i + 1, j + 1, item);
    // An optional group: filled in token by token, or left out.
    let k = j;
    let prev = previous;
    let filled = true;
    for (const t of item) {
      if (!tokenMatches(t, actual[k], prev)) {
        filled = false;
        break;
      }
      prev = t;
      k++;
    }
    return (filled && match(i + 1, k, prev)) || match(i + 1, j, previous);
  };
  return match(0, 0, '');
}
