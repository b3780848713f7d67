/**
 * The trampoline experiment (issue 16 item 3), reproducible: a copy of this checkout in which a
 * kernel or filesystem function hands its callee to the runtime instead of walking it with
 * `yield*`. The copy's model/kernel and model/fs have every `yield*` rewritten to `yield` (the
 * load-time transform the source would keep `yield*` under: the two have the same grammar, so the
 * rewrite is one token), GenContext.step keeps the stack of callers and sends each callee's return
 * value (or throw) back to its caller, and Disk.submitBio runs a bi_end_io to its end through the
 * same trampoline. A context then resumes only its innermost generator at a step, where `yield*`
 * resumes every level of the chain; each call costs its caller a yield and a resumption instead.
 *
 *   npx tsx scripts/bench/trampolineCopy.ts DIR
 *   mkdir BASE && git archive HEAD | tar -x -C BASE && ln -s "$(realpath node_modules)" BASE/
 *   npx tsx scripts/bench/paired.ts --base BASE --other DIR
 *   (cd DIR && npx tsx scripts/bench/sameRuns.ts)                  (the digests must not change)
 *
 * Measured in session 9 (paired.ts, both load orders, 16-24 pairs): 1.03x and 1.04x, the same runs
 * bit for bit (sameRuns.ts, plain and --traced); the chain is not where a run's time goes
 * (scripts/bench/callChain.ts). The anchors below are this commit's text: if context.ts or disk.ts
 * change, the copy stops with one line naming what it did not find.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { asksHelp } from '../scriptOptions.ts';
import { HERE } from './paired.ts';

export const USAGE = `usage: npx tsx scripts/bench/trampolineCopy.ts DIR
  writes into DIR (new or empty) this checkout's HEAD with the trampolined call convention`;

export class TrampolineCopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrampolineCopyError';
  }
}

/** The directories whose delegations become calls through the trampoline. */
export const REWRITTEN_DIRS = ['model/kernel', 'model/fs'];

/** `yield* e` becomes `yield e` (same grammar); returns the text and the number of rewrites. */
export function rewriteDelegations(source: string): { text: string; count: number } {
  let count = 0;
  const text = source.replace(/\byield\s*\*\s*/g, () => {
    count++;
    return 'yield ';
  });
  return { text, count };
}

const STEP_FROM = '  step(): void {\n    // The condition held when this context was picked';
const STEP_TO = '/**\n * Work queued on a task';

/** GenContext.step and runToEnd of the copy (replacing the step from its anchor to the end of the class). */
const TRAMPOLINE = `  /**
   * Trampoline: a transformed generator yields its callee (a generator object) instead of
   * delegating with yield*; the stack keeps the callers, and a callee's return value (or throw)
   * goes back to its caller. A bare yield (undefined) is an interleaving point: the step ends.
   */
  step(): void {
    this.waitFor = null;
    this.waitReason = '';
    const stack = this.#stack;
    const program = this.#program;
    let v: unknown;
    let err: unknown;
    let threw = false;
    for (;;) {
      let top = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (top === undefined) {
        const gen = program === null ? this.#gen : program.next(v);
        this.#gen = null;
        if (gen === null || gen === undefined) {
          this.finished = true;
          return;
        }
        stack.push(gen);
        top = gen;
        v = undefined;
      }
      let r: IteratorResult<unknown, unknown>;
      try {
        r = threw ? top.throw(err as never) : top.next(v as never);
      } catch (e) {
        stack.pop();
        if (stack.length === 0) throw e;
        threw = true;
        err = e;
        continue;
      }
      threw = false;
      if (r.done === true) {
        stack.pop();
        v = r.value;
        if (stack.length === 0 && program === null) {
          this.finished = true;
          return;
        }
        continue;
      }
      if (r.value === undefined) return;
      stack.push(r.value as KGen<unknown>);
      v = undefined;
    }
  }
}

/** Runs \`gen\` to its end in the caller (the trampoline, synchronously); false if it yielded. */
export function runToEnd(gen: KGen<unknown>): boolean {
  const stack: KGen<unknown>[] = [gen];
  let v: unknown;
  let err: unknown;
  let threw = false;
  for (;;) {
    const top = stack[stack.length - 1] as KGen<unknown>;
    let r: IteratorResult<unknown, unknown>;
    try {
      r = threw ? top.throw(err as never) : top.next(v as never);
    } catch (e) {
      stack.pop();
      if (stack.length === 0) throw e;
      threw = true;
      err = e;
      continue;
    }
    threw = false;
    if (r.done === true) {
      stack.pop();
      if (stack.length === 0) return true;
      v = r.value;
      continue;
    }
    if (r.value === undefined) return false;
    stack.push(r.value as KGen<unknown>);
    v = undefined;
  }
}

`;

/** GenContext with a stack of callers: step() and runToEnd() as trampolines. */
export function patchContext(source: string): string {
  const i = source.indexOf(STEP_FROM);
  const j = source.indexOf(STEP_TO);
  if (i < 0 || j < i)
    throw new TrampolineCopyError(
      'trampolineCopy: GenContext.step of model/runtime/context.ts is not the one this copy replaces',
    );
  const fields = '  #program: Program | null = null;\n';
  if (!source.includes(fields))
    throw new TrampolineCopyError('trampolineCopy: GenContext has no #program field');
  return (
    source
      .slice(0, i)
      .replace(
        fields,
        `${fields}  /** The callers of the running generator, innermost last. */\n  #stack: KGen<unknown>[] = [];\n`,
      ) +
    TRAMPOLINE +
    source.slice(j)
  );
}

const SUBMIT_CHECK = 'g.next().done === true,';
const DISK_IMPORT = "import { Context, GenContext, type KGen } from '../runtime/context.ts';";

/** Disk.submitBio: a bi_end_io that must not yield runs to its end through the trampoline. */
export function patchDisk(source: string): string {
  if (!source.includes(SUBMIT_CHECK) || !source.includes(DISK_IMPORT))
    throw new TrampolineCopyError(
      'trampolineCopy: Disk.submitBio of model/block/disk.ts is not the one this copy patches',
    );
  return source
    .replace(SUBMIT_CHECK, 'runToEnd(g),')
    .replace(
      DISK_IMPORT,
      "import { Context, GenContext, type KGen, runToEnd } from '../runtime/context.ts';",
    );
}

/** Writes the trampolined copy of HEAD into `dir`; returns the delegations rewritten. */
export function makeTrampolinedCopy(dir: string): number {
  const dst = resolve(dir);
  if (existsSync(dst) && readdirSync(dst).length > 0)
    throw new TrampolineCopyError(`trampolineCopy: ${dir} is not empty`);
  const tar = spawnSync(
    'sh',
    ['-c', `mkdir -p "$1" && git -C "$2" archive HEAD | tar -x -C "$1"`, 'sh', dst, HERE],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    },
  );
  if (tar.status !== 0)
    throw new TrampolineCopyError(`trampolineCopy: git archive into ${dir} failed: ${tar.stderr.trim()}`);
  symlinkSync(realpathSync(join(HERE, 'node_modules')), join(dst, 'node_modules'));
  let count = 0;
  for (const d of REWRITTEN_DIRS)
    for (const f of readdirSync(join(dst, d))) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
      const p = join(dst, d, f);
      const r = rewriteDelegations(readFileSync(p, 'utf8'));
      count += r.count;
      writeFileSync(p, r.text);
    }
  const ctx = join(dst, 'model/runtime/context.ts');
  writeFileSync(ctx, patchContext(readFileSync(ctx, 'utf8')));
  const disk = join(dst, 'model/block/disk.ts');
  writeFileSync(disk, patchDisk(readFileSync(disk, 'utf8')));
  return count;
}

function main(argv: readonly string[]): number {
  if (asksHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  if (argv.length !== 1 || (argv[0] ?? '').startsWith('-')) {
    console.error('trampolineCopy: give one directory (new or empty) to write the copy into');
    return 2;
  }
  try {
    const n = makeTrampolinedCopy(argv[0] as string);
    console.log(
      `trampolineCopy: ${argv[0]}: ${n} delegations in ${REWRITTEN_DIRS.join(', ')} go through the trampoline`,
    );
    return 0;
  } catch (e) {
    if (e instanceof TrampolineCopyError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.exitCode = main(process.argv.slice(2));
