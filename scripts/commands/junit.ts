/**
 * JUnit XML for CI (`diocheck run --junit FILE`, `diocheck merge --junit FILE`): one testsuite per
 * invariant family and one testcase per invariant of the catalogue (properties/invariants), a
 * failure on each invariant the campaign violated with the replay commands in its text, an error
 * testcase when the model itself threw, and the vacuity guards as testcases that are skipped when
 * the campaign never reached their situation (a short campaign is not a failure, but CI shows it).
 */
import { REACH_GUARDS } from '../../properties/invariants/reach.ts';
import { ALL_INVARIANTS } from '../../properties/invariants/registry.ts';

/** One failure of a campaign (or of one shard of it). */
export interface JunitFailure {
  readonly invariant: string | null;
  readonly verdict: string;
  /** The commands that replay it, one per line. */
  readonly replay: readonly string[];
}

export interface JunitInput {
  /** What ran, e.g. `diocheck run --seed 7 --shard 1/4`. */
  readonly title: string;
  readonly runs: number;
  readonly elapsedMs: number;
  readonly violations: Readonly<Record<string, number>>;
  readonly modelErrors: number;
  readonly failures: readonly JunitFailure[];
  readonly reach: Readonly<Record<string, number>>;
  readonly properties: Readonly<Record<string, string | number>>;
}

export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '');
}

interface Case {
  readonly name: string;
  readonly body: string;
  readonly failed: boolean;
  readonly error: boolean;
  readonly skipped: boolean;
}

interface Suite {
  readonly name: string;
  readonly cases: Case[];
}

function failureBody(id: string, count: number, failures: readonly JunitFailure[]): string {
  const mine = failures.filter((f) => f.invariant === id);
  const first = mine[0];
  const message = first?.verdict.split('\n', 1)[0] ?? `${id} violated`;
  const text = [`${id} violated in ${count} run(s)`];
  for (const f of mine) text.push('', f.verdict, ...f.replay.map((r) => `replay: ${r}`));
  return `<failure type="${xmlEscape(id)}" message="${xmlEscape(message)}">${xmlEscape(text.join('\n'))}</failure>`;
}

/** The JUnit XML document of a campaign summary. */
export function junitXml(input: JunitInput): string {
  const suites = new Map<string, Suite>();
  const suite = (name: string): Suite => {
    let s = suites.get(name);
    if (s === undefined) {
      s = { name, cases: [] };
      suites.set(name, s);
    }
    return s;
  };
  const known = new Set(ALL_INVARIANTS.map((i) => i.id));
  for (const inv of ALL_INVARIANTS) {
    const count = input.violations[inv.id] ?? 0;
    suite(`diocheck.${inv.family}`).cases.push({
      name: `${inv.id} ${inv.name}`,
      body: count > 0 ? failureBody(inv.id, count, input.failures) : '',
      failed: count > 0,
      error: false,
      skipped: false,
    });
  }
  // Violations of IDs outside the catalogue (a model newer than the registry) still show.
  for (const [id, count] of Object.entries(input.violations)) {
    if (known.has(id) || count === 0) continue;
    suite('diocheck.other').cases.push({
      name: id,
      body: failureBody(id, count, input.failures),
      failed: true,
      error: false,
      skipped: false,
    });
  }
  const modelFailures = input.failures.filter((f) => f.invariant === null);
  const modelText = modelFailures
    .flatMap((f) => [f.verdict, ...f.replay.map((r) => `replay: ${r}`)])
    .join('\n');
  suite('diocheck.model').cases.push({
    name: 'the model raised no exception',
    body:
      input.modelErrors > 0
        ? `<error type="model-error" message="${xmlEscape(`${input.modelErrors} run(s) threw`)}">${xmlEscape(modelText)}</error>`
        : '',
    failed: false,
    error: input.modelErrors > 0,
    skipped: false,
  });
  for (const g of REACH_GUARDS) {
    const n = input.reach[g.id] ?? 0;
    suite('diocheck.reach').cases.push({
      name: `${g.id} reached: ${g.what}`,
      body:
        n === 0
          ? '<skipped message="not reached in this campaign: the invariants it guards were checked vacuously here"/>'
          : '',
      failed: false,
      error: false,
      skipped: n === 0,
    });
  }

  const all = [...suites.values()];
  const count = (cases: readonly Case[], key: 'failed' | 'error' | 'skipped'): number =>
    cases.filter((c) => c[key]).length;
  const allCases = all.flatMap((s) => s.cases);
  const time = (input.elapsedMs / 1000).toFixed(3);
  const props = Object.entries(input.properties)
    .map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(String(v))}"/>`)
    .join('\n');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(input.title)}" tests="${allCases.length}" failures="${count(allCases, 'failed')}" errors="${count(allCases, 'error')}" skipped="${count(allCases, 'skipped')}" time="${time}">`,
  ];
  for (const s of all) {
    lines.push(
      `  <testsuite name="${xmlEscape(s.name)}" tests="${s.cases.length}" failures="${count(s.cases, 'failed')}" errors="${count(s.cases, 'error')}" skipped="${count(s.cases, 'skipped')}" time="${s.name === 'diocheck.model' ? time : '0'}">`,
    );
    lines.push('    <properties>', props, '    </properties>');
    for (const c of s.cases) {
      const head = `    <testcase classname="${xmlEscape(s.name)}" name="${xmlEscape(c.name)}" time="0"`;
      lines.push(c.body === '' ? `${head}/>` : `${head}>${c.body}</testcase>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
