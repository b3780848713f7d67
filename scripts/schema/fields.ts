/**
 * The building blocks of diocheck's file schemas (zod), and the one-line message of a refused file.
 *
 * Every builder carries its expectation as the message of each way it can fail, `must be an
 * integer >= 0`, so that a refused file is named by its first problem in one line, the path of the
 * field first: `scenario.threads[0][1].pos must be an integer >= 0`. The same schemas generate the
 * JSON Schema files under spec/schema/ (generate.ts), so what is checked and what is documented
 * are one statement.
 */
import { z } from 'zod';

/** The error parameter of a check: what the field must be. */
export function must(what: string): { error: string } {
  return { error: `must be ${what}` };
}

/** An integer (a safe one: a JSON number beyond 2^53 is not what was written) of at least `min`. */
export function int(min: number) {
  const expected = must(`an integer >= ${min}`);
  return z.int(expected).min(min, expected);
}

/** A count of a report: an integer >= 0. */
export function count() {
  return int(0);
}

/** A measured figure (milliseconds, a median): a finite number >= 0. */
export function figure() {
  const expected = must('a number >= 0');
  return z.number(expected).min(0, expected);
}

export function bool() {
  return z.boolean(must('true or false'));
}

/** A string that says something. */
export function text() {
  const expected = must('a non-empty string');
  return z.string(expected).min(1, expected);
}

/** Any string, the empty one too. */
export function anyText() {
  return z.string(must('a string'));
}

function listed(values: readonly (string | number)[]): string {
  return `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}

/** One of a few strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, must(listed(values)));
}

/** One of a few numbers. */
export function oneOfNumbers<const T extends readonly [number, ...number[]]>(values: T) {
  return z.literal(values, must(listed(values)));
}

/** A JSON object with exactly these fields (an unknown one is refused: a typo is not ignored). */
export function object<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, must('a JSON object'));
}

export function array<T extends z.ZodType>(item: T) {
  return z.array(item, must('an array'));
}

/** An object of counts keyed by name (violations per invariant, runs per fault class, ...). */
export function counts() {
  return z.record(z.string(), count(), must('an object of counts'));
}

/** A day, YYYY-MM-DD. */
export function date() {
  const expected = must('a date YYYY-MM-DD');
  return z.string(expected).regex(/^\d{4}-\d{2}-\d{2}$/, expected);
}

/** `a.b[0].c`: the path of an issue as a reader finds the field. */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * The first problem of a refused value, in one line naming its field: `PATH must be ...`, `PATH is
 * not a known field`, or `the file must be ...` when the whole value is wrong. `root` is the path
 * of the value itself when it is part of a file (a bare scenario is the file's `scenario`).
 */
export function firstProblem(error: z.ZodError, root: readonly PropertyKey[] = []): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'the file is not valid';
  const path = [...root, ...issue.path];
  if (issue.code === 'unrecognized_keys')
    return `${pathText([...path, issue.keys[0] ?? '?'])} is not a known field`;
  return `${path.length === 0 ? 'the file' : pathText(path)} ${issue.message.replace(/\s*\n\s*/g, ' ')}`;
}

/**
 * True only when the code's type A fits the schema's type B (readonly aside), so that a field
 * whose type changes in the code, or becomes optional there, fails `npm run typecheck` until the
 * schema follows. A field the code adds is not seen here (TypeScript lets an object have more):
 * the schemas' objects are strict, and schema.test.ts holds real runs' files to them.
 */
export type Fits<A, B> = [A] extends [DeepReadonly<B>] ? true : false;

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
