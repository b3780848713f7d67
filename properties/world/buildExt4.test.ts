import { describe, expect, it } from 'vitest';
import { SeededChoices } from '../../model/runtime/choice.ts';
import { ALL_FAULTS } from '../../model/runtime/faults.ts';
import { formatTrace } from '../../model/runtime/trace.ts';
import { runScenario } from '../../model/world/run.ts';
import type { ExtentSpec, Scenario } from '../../model/world/scenario.ts';

const EXTENTS: ExtentSpec[] = [
  { offset: 0, length: 8192, type: 'mapped', addr: 0x10000 },
  { offset: 8192, length: 4096, type: 'hole', flags: ['shared'] },
  { offset: 12288, length: 8192, type: 'unwritten', addr: 0x20000 },
  { offset: 20480, length: 4096, type: 'mapped', addr: 0x22000, flags: ['shared'] },
  { offset: 24576, length: 4096, type: 'delalloc' },
];

const world = (extents: ExtentSpec[], threads: Scenario['threads']): Scenario => ({
  device: { logicalBlockSize: 512, fua: false, writeCache: true },
  fs: { blockSize: 4096, iSize: 22000, extents, model: 'ext4', leftovers: ['unwritten', 'free', 'past-eof'] },
  bioMaxVecs: 2,
  threads,
});

/** What a run of the world shows: its media, data fork and trace. */
function seen(s: Scenario, seed: string): unknown {
  const r = runScenario(s, { source: new SeededChoices(seed, 0.3), faults: ALL_FAULTS, tracing: true });
  const fs = r.xfs;
  if (fs === null) throw new Error('no model filesystem');
  return {
    media: Array.from(r.disk.media),
    state: Array.from(fs.initialMap.state),
    addr: Array.from(fs.initialMap.addr),
    shared: Array.from(fs.initialMap.shared),
    trace: formatTrace(r.trace),
    outcome: r.outcome,
  };
}

describe('buildExt4', () => {
  it('builds the same ext4 from extents in file order as from the same extents in another order', () => {
    // In file order buildExt4 passes them on as they are; reversed, it goes block by block.
    const threads: Scenario['threads'] = [
      [
        { kind: 'dio_write', pos: 4096, len: 12288, iocbFlags: ['dsync'] },
        { kind: 'dio_read', pos: 0, len: 24576 },
      ],
      [{ kind: 'fsync' }],
    ];
    for (const seed of ['1', '2', '3', '4']) {
      const inOrder = seen(world(EXTENTS, threads), seed);
      expect(seen(world([...EXTENTS].reverse(), threads), seed)).toEqual(inOrder);
    }
    // Before any thread runs: the initial data and leftovers on the media.
    expect(seen(world([...EXTENTS].reverse(), []), '0')).toEqual(seen(world(EXTENTS, []), '0'));
  });

  it('lets a later extent win where extents overlap, as the model XFS does', () => {
    const overlapping: ExtentSpec[] = [
      { offset: 0, length: 16384, type: 'mapped', addr: 0x10000 },
      { offset: 4096, length: 4096, type: 'unwritten', addr: 0x11000 },
    ];
    const r = runScenario(world(overlapping, []), { source: new SeededChoices('0', 0) });
    const state = Array.from(r.xfs?.initialMap.state ?? []).slice(0, 4);
    const x = runScenario(
      { ...world(overlapping, []), fs: { ...world(overlapping, []).fs, model: 'xfs', leftovers: [] } },
      { source: new SeededChoices('0', 0) },
    );
    expect(state).toEqual(Array.from(x.xfs?.initialMap.state ?? []).slice(0, 4));
    expect(state[1]).not.toBe(state[0]);
  });
});
