/**
 * The fault classes the campaign's families set over the drawn swarm profile (FAMILY_FAULTS for
 * the world families, POLLED_FAULTS for the polled scripted one; DrawnScenario, profileFor) and
 * the swarm profile's shares: each class on in about half the profiles, interleaving in two in
 * three; the case the campaign runs holds the profile with the family's classes set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FaultProfile, Faults } from '../../model/runtime/faults.ts';
import { campaignCaseArbitrary } from '../../scripts/commands/campaign.ts';
import {
  type DrawnScenario,
  FAULT_CLASSES,
  faultProfileArbitrary,
  profileFor,
  profileRecordArbitrary,
} from './faults.ts';
import {
  drawnScriptedArbitrary,
  POLLED_FAULTS,
  type RawScenario,
  rawScenarioArbitrary,
  withPolledWrite,
} from './scenario.ts';
import {
  AIO_FAULTS,
  drawnWorldArbitrary,
  FAMILY_FAULTS,
  type RawWorld,
  rawWorldArbitrary,
} from './worldScenario.ts';

const PROFILES: readonly FaultProfile[] = fc.sample(faultProfileArbitrary(), { seed: 47, numRuns: 3000 });
const on = (k: keyof FaultProfile, ps: readonly FaultProfile[] = PROFILES): number =>
  ps.filter((p) => p[k] === true).length / ps.length;

describe('swarm fault profile', () => {
  it('has each class on in about half the profiles, interleaving in two in three', () => {
    for (const k of FAULT_CLASSES) {
      const share = on(k);
      if (k === 'interleave') {
        expect(share).toBeGreaterThan(0.62);
        expect(share).toBeLessThan(0.71);
      } else {
        expect(share).toBeGreaterThan(0.45);
        expect(share).toBeLessThan(0.55);
      }
    }
  });

  it("draws fc.record's classes, seed for seed, and what follows it the same, as one Faults", () => {
    // A tuple after the profile shows that the draws after it are the same too.
    const after = fc.tuple(fc.nat(), fc.boolean());
    for (const seed of [1, 47, 3]) {
      const shaped = fc.sample(fc.tuple(faultProfileArbitrary(), after), { seed, numRuns: 300 });
      const record = fc.sample(fc.tuple(profileRecordArbitrary(), after), { seed, numRuns: 300 });
      shaped.forEach(([p, a], i) => {
        const [r, b] = record[i] as [FaultProfile, [number, boolean]];
        expect(p).toBeInstanceOf(Faults);
        expect(Object.keys(p)).toEqual(FAULT_CLASSES);
        for (const k of FAULT_CLASSES) expect(p[k]).toBe(r[k]);
        expect(a).toEqual(b);
      });
      // The record's null prototypes are drawn still (and some records have one).
      expect(record.some(([r]) => Object.getPrototypeOf(r) === null)).toBe(true);
    }
  });
});

describe('family fault classes', () => {
  it('a world family sets its classes and leaves the rest as drawn; an aio world interleaving; others none', () => {
    // The same seed draws the same worlds raw and with their classes (drawnWorldArbitrary maps it).
    const raws = fc.sample(rawWorldArbitrary(), { seed: 53, numRuns: 2000 });
    const drawn = fc.sample(drawnWorldArbitrary(), { seed: 53, numRuns: 2000 });
    let set = 0;
    drawn.forEach((d, i) => {
      const raw = raws[i] as RawWorld;
      const family = raw.family;
      expect(d.faults).toBe(family !== null ? FAMILY_FAULTS[family] : raw.aio ? AIO_FAULTS : null);
      if (d.faults !== null) set++;
    });
    expect(set).toBeGreaterThan(200);
    const drawnProfile = PROFILES[0] as FaultProfile;
    const scenario = (drawn[0] as DrawnScenario).scenario;
    const race = profileFor({ scenario, faults: FAMILY_FAULTS.subBlockRace }, drawnProfile);
    expect(race).toBeInstanceOf(Faults);
    for (const k of FAULT_CLASSES) {
      const forced = FAMILY_FAULTS.subBlockRace?.[k];
      expect(race[k] === true).toBe(forced ?? drawnProfile[k] === true);
    }
  });

  it('the polled scripted family sets wouldBlock on and interleaving off; other scripted files none', () => {
    const raws = fc.sample(rawScenarioArbitrary(), { seed: 59, numRuns: 2000 });
    const drawn = fc.sample(drawnScriptedArbitrary(), { seed: 59, numRuns: 2000 });
    drawn.forEach((d, i) => {
      const raw = raws[i] as RawScenario;
      expect(d.faults).toBe(withPolledWrite(raw) === raw ? null : POLLED_FAULTS);
    });
    expect(drawn.filter((d) => d.faults !== null).length).toBeGreaterThan(150);
  });

  it("the campaign's cases run with their family's classes set", () => {
    const cases = fc.sample(campaignCaseArbitrary(), { seed: 61, numRuns: 3000 });
    const profiles = cases.map((c) => c[1]);
    // subBlockRace and polled cases have interleaving off, aio worlds on.
    expect(on('interleave', profiles)).toBeGreaterThan(0.62);
    expect(on('interleave', profiles)).toBeLessThan(0.72);
    // cachedOverwrite worlds have invalidation failures on, so more than half the cases do.
    expect(on('invalidateFailures', profiles)).toBeGreaterThan(0.51);
  });
});
