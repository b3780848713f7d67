/**
 * Builds the model ext4 for a scenario: the same initial data fork and disk layout as the model XFS
 * (xfsLayout: block-aligned extents, write 0 in mapped blocks, a log area of LOG_SECTORS at the
 * end, which stands for the jbd2 journal), with ext4's mapping, completion, jbd2 and file
 * operations. No model XFS is built on the way (it cost a third of an ext4 world's build).
 */
import type { Disk } from '../block/disk.ts';
import { ModelExt4 } from '../fs/ext4.ts';
import { EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN, ExtentMap } from '../fs/extentMap.ts';
import type { InitialExtent } from '../fs/xfs.ts';
import { Ext4Buffered } from '../fs/ext4Buffered.ts';
import { Ext4File } from '../fs/ext4File.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { writeLeftovers, xfsLayout } from './buildXfs.ts';
import type { Scenario } from './scenario.ts';

export function buildExt4(
  rt: Runtime,
  disk: Disk,
  scenario: Scenario,
): { fs: ModelExt4; file: Ext4File; buffered: Ext4Buffered } {
  // xfsLayout checks the scenario and derives the geometry and initial extents; the ext4 model is
  // built over the data fork the model XFS would start with (where scenario extents overlap, the
  // later one wins, as in ModelXfs's constructor).
  const { geo, extents: scenarioExtents } = xfsLayout(disk, scenario);
  const extents = apart(scenarioExtents, geo.fileBlocks) ?? blockwise(scenarioExtents, geo.fileBlocks);
  const fs = new ModelExt4(rt, disk, geo, extents, scenario.fs.iSize);
  fs.sizeDirtyRule = scenario.fs.sizeDirtyRule ?? 'on-disk';
  // Over what the ext4 model's constructor wrote, with ext4's blocks past EOF (writeLeftovers).
  writeLeftovers(fs, scenario, 'ext4');
  const file = new Ext4File(fs);
  return { fs, file, buffered: new Ext4Buffered(rt, fs, file) };
}

/**
 * The extents themselves, holes left out, when they are in file order, do not overlap and lie
 * inside the file's blocks (what scenarios have): the constructor then sets and writes the same
 * blocks and sectors, in the same order, as from blockwise's list. Null otherwise.
 */
function apart(extents: readonly InitialExtent[], fileBlocks: number): InitialExtent[] | null {
  let end = 0;
  for (const e of extents) {
    if (e.block < end || e.count < 0 || e.block + e.count > fileBlocks) return null;
    end = e.block + e.count;
  }
  return extents.filter((e) => e.state !== EXT_HOLE);
}

/** The data fork the extents make, one after another (a later one wins), as runs of alike blocks. */
function blockwise(scenarioExtents: readonly InitialExtent[], fileBlocks: number): InitialExtent[] {
  const map = ExtentMap.take(fileBlocks);
  for (const e of scenarioExtents) {
    const mapped = e.state === EXT_WRITTEN || e.state === EXT_UNWRITTEN;
    for (let i = 0; i < e.count; i++)
      map.set(e.block + i, e.state, mapped ? e.addr + i : -1, e.shared ? 1 : 0);
  }
  // Runs of blocks alike (ExtentMap.runLength) as one extent each: the constructor sets and writes
  // the same blocks and sectors as it would one block at a time.
  const extents: InitialExtent[] = [];
  for (let b = 0; b < map.blocks; ) {
    const n = map.runLength(b, map.blocks - b);
    const state = map.state[b] ?? 0;
    if (state !== 0)
      extents.push({
        block: b,
        count: n,
        state,
        addr: map.addr[b] ?? -1,
        shared: (map.shared[b] ?? 0) !== 0,
      });
    b += n;
  }
  // The map served only for this: it goes to the model ext4's maps (ExtentMap.take).
  ExtentMap.give(map);
  return extents;
}
