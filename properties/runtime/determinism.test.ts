import { describe, expect, it } from 'vitest';
import { ReplayChoices, ReplayDivergence, SeededChoices } from '../../model/runtime/choice.ts';
import { ALL_FAULTS } from '../../model/runtime/faults.ts';
import { formatTrace } from '../../model/runtime/trace.ts';
import { runScenario } from '../../model/world/run.ts';
import type { Scenario } from '../../model/world/scenario.ts';

const scenario: Scenario = {
  device: { logicalBlockSize: 512, fua: false, writeCache: true },
  fs: {
    blockSize: 4096,
    iSize: 12288,
    extents: [
      { offset: 0, length: 8192, type: 'mapped', addr: 0x10000 },
      { offset: 8192, length: 8192, type: 'unwritten', addr: 0x20000 },
    ],
    pageCache: [{ index: 1, dirty: true }],
  },
  bioMaxVecs: 1,
  threads: [
    [
      { kind: 'dio_write', pos: 512, len: 12288, async: true, iocbFlags: ['dsync'] },
      { kind: 'dio_read', pos: 0, len: 16384 },
    ],
    [{ kind: 'dio_read', pos: 4096, len: 8192, async: true }],
  ],
};

function traced(seed: string) {
  return runScenario(scenario, { source: new SeededChoices(seed, 0.3), faults: ALL_FAULTS, tracing: true });
}

describe('determinism', () => {
  it('gives the identical trace and choices when one seed runs twice', () => {
    for (const seed of ['1', '2', '3', 'x']) {
      const a = traced(seed);
      const b = traced(seed);
      expect(b.choices).toEqual(a.choices);
      expect(formatTrace(b.trace)).toBe(formatTrace(a.trace));
      expect(b.outcome).toBe(a.outcome);
    }
  });

  it('gives different runs for different seeds', () => {
    const traces = new Set(['1', '2', '3', '4', '5'].map((s) => formatTrace(traced(s).trace)));
    expect(traces.size).toBeGreaterThan(1);
  });

  it('records the same choice values with tracing off as with tracing on', () => {
    const on = traced('7');
    const off = runScenario(scenario, { source: new SeededChoices('7', 0.3), faults: ALL_FAULTS });
    expect(off.choices).toEqual(on.choices);
    expect(off.steps).toBe(on.steps);
    expect(off.trace).toHaveLength(0);
    expect(off.choiceLog).toHaveLength(0);
  });
});

describe('replay', () => {
  it('replays a recorded run to the identical trace', () => {
    for (const seed of ['11', '12', '13']) {
      const original = traced(seed);
      const replayed = runScenario(scenario, {
        source: new ReplayChoices(original.choiceLog),
        faults: ALL_FAULTS,
        tracing: true,
      });
      expect(formatTrace(replayed.trace)).toBe(formatTrace(original.trace));
      expect(replayed.violation?.message).toBe(original.violation?.message);
    }
  });

  it('reports a divergence when the model asks a different question than was recorded', () => {
    const original = traced('21');
    expect(original.choiceLog.length).toBeGreaterThan(0);
    const tampered = original.choiceLog.map((c, i) => (i === 0 ? { ...c, label: 'not_a_label' } : c));
    expect(() => runScenario(scenario, { source: new ReplayChoices(tampered), faults: ALL_FAULTS })).toThrow(
      ReplayDivergence,
    );
  });
});
