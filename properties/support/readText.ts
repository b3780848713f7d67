/**
 * Reading a file the user named (a replay file, a report, a scenario, a source listing): its text,
 * or one line that says why not, so that bad input never ends in a stack trace.
 */
import { readFileSync } from 'node:fs';

/** Why a read failed, in a few words. */
export function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? 'unreadable';
}

/**
 * The text of `path`; on failure, `fail` builds the error to throw from a one-line message
 * (`cannot read WHAT PATH: WHY`): a plain Error, or a command's UsageError.
 */
export function readText(path: string, what: string, fail: (message: string) => Error): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw fail(`cannot read ${what} ${path}: ${readFailure(e)}`);
  }
}
