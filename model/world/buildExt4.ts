/**
 * Builds the model ext4 for a scenario: the same initial data fork and disk layout as the model XFS
 * (buildXfs: block-aligned extents, write 0 in mapped blocks, a log area of LOG_SECTORS at the
 * end, which stands for the jbd2 journal), with ext4's mapping, completion, jbd2 and file operations.
 */
import type { Disk } from '../block/disk.ts';
import { ModelExt4 } from '../fs/ext4.ts';
import { Ext4Buffered } from '../fs/ext4Buffered.ts';
import { Ext4File } from '../fs/ext4File.ts';
import { BUFFER_POOL } from '../runtime/arrayPool.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { buildXfs, writeLeftovers } from './buildXfs.ts';
import type { Scenario } from './scenario.ts';

export function buildExt4(
  rt: Runtime,
  disk: Disk,
  scenario: Scenario,
): { fs: ModelExt4; file: Ext4File; buffered: Ext4Buffered } {
  // buildXfs checks the scenario and derives the geometry and initial extents; the ext4 model is
  // then built over the same ones (a fresh disk: the XFS model only wrote write 0's data blocks,
  // which the ext4 model writes again identically).
  const { fs: xfs } = buildXfs(rt, disk, scenario);
  const extents = [];
  const map = xfs.initialMap;
  for (let b = 0; b < map.blocks; b++) {
    const state = map.state[b] ?? 0;
    if (state === 0) continue;
    extents.push({ block: b, count: 1, state, addr: map.addr[b] ?? -1, shared: (map.shared[b] ?? 0) !== 0 });
  }
  // The XFS model served only for this: its maps' buffers go to the model ext4 (arrayPool.ts).
  BUFFER_POOL.give(xfs.map.buffer);
  BUFFER_POOL.give(map.buffer);
  BUFFER_POOL.give(xfs.cow.buffer);
  const fs = new ModelExt4(rt, disk, xfs.geo, extents, scenario.fs.iSize);
  fs.sizeDirtyRule = xfs.sizeDirtyRule;
  // Again over what the ext4 model's constructor wrote, with ext4's blocks past EOF (writeLeftovers).
  writeLeftovers(fs, scenario, 'ext4');
  const file = new Ext4File(fs);
  return { fs, file, buffered: new Ext4Buffered(rt, fs, file) };
}
