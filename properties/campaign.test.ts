/**
 * The campaign under the fast budget: random scenarios over the model XFS and the scripted
 * filesystem, swarm fault profiles and choice streams never violate an invariant, and hardly ever
 * end on a bound. It runs its whole budget and triages what it finds (scripts/commands/findings.ts).
 *
 * The property is the one `diocheck run` uses (scripts/commands/campaign.ts), so the replay
 * command a failure prints works from the command line as it is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExtentSpec, Scenario } from '../model/world/scenario.ts';
import { fileURLToPath } from 'node:url';
import { FIXED_OPS } from '../model/kernel/ops.ts';
import {
  type CampaignCase,
  CampaignTally,
  campaignProperty,
  formatCaseReport,
  markedSeedLines,
  summarizeCoverage,
} from '../scripts/commands/campaign.ts';
import {
  collectingProperty,
  FindingCollector,
  formatFindings,
  loadBaseline,
  triage,
} from '../scripts/commands/findings.ts';
import { DISK_BYTES, OP_BYTES_MAX, scenarioArbitrary } from './arbitraries/scenario.ts';
import { validateScenario } from './replay/replayFile.ts';
import { currentBudget } from './support/budget.ts';

const budget = currentBudget();
const seed = fc.readConfigureGlobal().seed;
const REGRESSIONS = fileURLToPath(new URL('./regressions/', import.meta.url));
/** Shrinking time for all findings together, only spent when the campaign found something. */
const SHRINK_MS = 20_000;

/** The case at a fast-check path of the campaign (the smallest replay of a finding). */
function caseAt(s: number, path: string): CampaignCase {
  const details = fc.check(campaignProperty(), { seed: s, path, endOnFailure: true });
  if (details.counterexample === null) throw new Error(`no failing case at path ${path}`);
  return details.counterexample;
}

describe(`campaign (seed: ${seed}, tier: ${budget.tier})`, () => {
  it('never violates an invariant over random scenarios, fault profiles and choice streams', () => {
    // The whole budget runs whatever it meets, as `diocheck run` does: a failure lists every finding
    // (deduplicated, each shrunk, known or new), not only the first.
    const tally = new CampaignTally(false);
    const collector = new FindingCollector(FIXED_OPS);
    const property = collectingProperty(
      collector,
      FIXED_OPS,
      (_value, result) => (result === null ? tally.recordError() : tally.record(result)),
      () => false,
    );
    const details = fc.check(property, { numRuns: budget.campaignRuns });
    if (collector.distinct > 0) {
      const findings = triage({
        seed: details.seed,
        kernel: null,
        ops: FIXED_OPS,
        collector,
        outDir: null,
        shrinkTimeMs: SHRINK_MS,
        baseline: loadBaseline(REGRESSIONS, null),
      });
      const fresh = findings.filter((f) => f.known === null);
      if (fresh.length > 0 || collector.modelErrors.size > 0) {
        const first = fresh[0];
        const report =
          first === undefined
            ? ''
            : `\n\n${formatCaseReport({ seed: details.seed, path: first.path, value: caseAt(details.seed, first.path) })}`;
        expect.fail(
          `\n${formatFindings(findings, tally.runs, details.seed, null, collector.modelErrors)}${report}`,
        );
      }
    }
    const coverage = summarizeCoverage(tally.coverage, markedSeedLines());
    const share = tally.bounds / tally.runs;
    console.log(
      `campaign: ${tally.runs} runs, ${tally.passes} passes, ${tally.bounds} bound hits ` +
        `(${(share * 100).toFixed(2)}%), ${coverage.reached}/${coverage.marked} marked seed lines reached`,
    );
    expect(tally.runs).toBe(budget.campaignRuns);
    expect(share).toBeLessThan(budget.boundShareMax);
  });
});

function extentAt(extents: readonly ExtentSpec[], pos: number): ExtentSpec | undefined {
  return extents.find((e) => e.offset <= pos && pos < e.offset + e.length);
}

/** The promises of properties/arbitraries/scenario.ts, checked on what it generates. */
function checkScenarioShape(s: Scenario): void {
  const lbs = s.device.logicalBlockSize;
  const bs = s.fs.blockSize;
  expect(bs % lbs === 0 && bs <= 4096 && (bs & (bs - 1)) === 0).toBe(true);
  expect(s.fs.model).toBe('scripted');
  expect([undefined, true]).toContain(s.fs.readEndIo);
  expect(s.fs.endIoMaySleep).toBeUndefined();
  let end = 0;
  const ranges: Array<[number, number]> = [];
  for (const e of s.fs.extents) {
    expect(e.offset).toBe(end);
    end += e.length;
    if (e.flags !== undefined) expect(['mapped', 'unwritten']).toContain(e.type);
    if (e.type === 'inline')
      expect(e.offset === 0 && e.length % 512 === 0 && s.fs.extents.length === 1).toBe(true);
    if (e.addr !== undefined) {
      expect(e.addr % bs).toBe(0);
      expect(e.addr + e.length).toBeLessThanOrEqual(DISK_BYTES);
      for (const [a, b] of ranges) expect(e.addr + e.length <= a || b <= e.addr).toBe(true);
      ranges.push([e.addr, e.addr + e.length]);
    }
  }
  expect(end).toBeLessThanOrEqual(64 * 1024);
  expect(s.fs.iSize).toBeLessThanOrEqual(end);
  expect(s.bioMaxVecs >= 1 && s.bioMaxVecs <= 4).toBe(true);
  expect(s.threads.length >= 1 && s.threads.length <= 2).toBe(true);
  for (const ops of s.threads) {
    expect(ops.length >= 1 && ops.length <= 3).toBe(true);
    for (const op of ops) {
      if (op.kind !== 'dio_read' && op.kind !== 'dio_write') throw new Error(`unexpected op ${op.kind}`);
      expect(op.len).toBeLessThanOrEqual(OP_BYTES_MAX);
      if (op.iocbFlags?.includes('caller_comp')) expect(op.async).toBe(true);
      if (op.kind === 'dio_write' && op.len > 0) {
        // Inside the mapped file; a hole only in the deliberate -EIO scenario.
        expect(op.pos + op.len).toBeLessThanOrEqual(end);
      }
    }
  }
}

describe('scenario arbitrary', () => {
  it('generates scenarios that keep the geometry rules and validate as replay-file scenarios', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), (s) => {
        checkScenarioShape(s);
        validateScenario(JSON.parse(JSON.stringify(s)));
      }),
      { numRuns: budget.propertyRuns },
    );
  });

  it('keeps writes into holes rare', () => {
    const samples = fc.sample(scenarioArbitrary(), { numRuns: 2_000, seed });
    let writes = 0;
    let holeWrites = 0;
    for (const s of samples) {
      for (const op of s.threads.flat()) {
        if (op.kind !== 'dio_write' || op.len === 0) continue;
        writes++;
        const e = extentAt(s.fs.extents, op.pos);
        if (e === undefined || e.type === 'hole') holeWrites++;
      }
    }
    expect(writes).toBeGreaterThan(500);
    expect(holeWrites / writes).toBeLessThan(0.05);
  });
});
