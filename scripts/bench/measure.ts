/** Helpers every section shares: seeds, the campaign's cases, medians and rates, CPU timing. */
import fc from 'fast-check';
import { type CampaignCase, campaignCaseArbitrary } from '../commands/campaign.ts';

export const now = (): number => performance.now();

/** A 32-bit seed for part `index` of the work, derived from one seed (a splitmix-style mix). */
export function deriveSeed(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 1, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

export function sampleCases(seed: number, n: number): CampaignCase[] {
  return fc.sample(campaignCaseArbitrary(), { seed, numRuns: n });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export const perSecond = (count: number, ms: number): number => (ms <= 0 ? 0 : (count * 1000) / ms);
export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
/** JSON has no Infinity: a figure that was never reached is null. */
export const finite = (x: number, digits = 0): number | null =>
  Number.isFinite(x) ? round(x, digits) : null;

/** Wall-clock and CPU time (every thread of the process: the JS thread and V8's GC helpers). */
export interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

export function timed(f: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = now();
  f();
  const wallMs = now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}
