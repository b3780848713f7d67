/**
 * The command line's definitions (scripts/commands/definitions.ts) drive both the parsers and the
 * help: the options inferred from each usage form, every form in `diocheck help`, and every
 * parser taking exactly the options its forms show.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from './commands/args.ts';
import { type CommandName, optionSpec, synopsis, USAGE } from './commands/definitions.ts';
import { parseDiffArgs } from './commands/diff.ts';
import { EXPLORE_HELP, parseExploreArgs } from './commands/explore.ts';
import { HELP } from './commands/help.ts';
import { parseHuntArgs } from './commands/hunt.ts';

const PARSERS: Partial<Record<CommandName, (args: readonly string[]) => unknown>> = {
  run: (a) => parseCommandLine(['run', ...a]),
  repro: (a) => parseCommandLine(['repro', ...a]),
  explain: (a) => parseCommandLine(['explain', ...a]),
  promote: (a) => parseCommandLine(['promote', ...a]),
  merge: (a) => parseCommandLine(['merge', ...a]),
  export: (a) => parseCommandLine(['export', ...a]),
  hunt: parseHuntArgs,
  explore: parseExploreArgs,
  diff: parseDiffArgs,
};

/** The message a parser gives for `args`, or '' when it parses. */
function messageOf(parse: (args: readonly string[]) => unknown, args: readonly string[]): string {
  try {
    parse(args);
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
}

describe('command definitions', () => {
  it('infers values, flags and repeated options from the usage forms', () => {
    expect(optionSpec('run')).toEqual({
      values: [
        'runs',
        'time',
        'seed',
        'profile',
        'shard',
        'workers',
        'kernel',
        'json',
        'junit',
        'annotate',
        'out',
        'max-findings',
        'baseline',
      ],
      flags: ['coverage', 'stop-at-first'],
      repeatable: [],
    });
    expect(optionSpec('diff')).toEqual({
      values: ['kernel', 'runs', 'time', 'seed', 'json'],
      flags: [],
      repeatable: ['kernel'],
    });
    expect(optionSpec('explore').flags).toEqual(['crash', 'no-prune', 'no-reduce']);
    expect(optionSpec('hunt').values).toContain('history');
  });

  it('prints every usage form in help (and explore --help)', () => {
    for (const [command, forms] of Object.entries(USAGE) as [CommandName, readonly string[]][])
      for (const form of forms) expect(HELP).toContain(synopsis(command, form));
    expect(EXPLORE_HELP).toContain(synopsis('explore', USAGE.explore[0] ?? '', ''));
  });

  it('each parser knows every option its forms show, and no other', () => {
    for (const [command, parse] of Object.entries(PARSERS) as [
      CommandName,
      (a: readonly string[]) => unknown,
    ][]) {
      const { values, flags } = optionSpec(command);
      for (const name of [...values, ...flags]) {
        if (command === 'run' && name === 'workers') continue; // taken out by workers.ts first
        const args = values.includes(name) ? [`--${name}`, 'x'] : [`--${name}`];
        expect(messageOf(parse, args), `${command} --${name}`).not.toMatch(/unknown option/);
      }
      expect(messageOf(parse, ['--frobnicate', 'x']), command).toMatch(/^unknown option '--frobnicate'/);
    }
  });
});
