/**
 * Builds the model filesystem for a scenario: the scenario's extents become the initial data fork
 * (block-aligned; mapped extents hold the file's original data, write 0), the disk is split into a
 * data area and a log area at its end.
 */
import type { Disk } from '../block/disk.ts';
import { EXT_DELALLOC, EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN } from '../fs/extentMap.ts';
import { type InitialExtent, ModelXfs } from '../fs/xfs.ts';
import { XfsFile } from '../fs/xfsFile.ts';
import { SECTOR_SHIFT } from '../mm/tags.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { ExtentType, Scenario } from './scenario.ts';

export const LOG_SECTORS = 256;
/** Largest file the model filesystem holds, in bytes. */
export const MAX_FILE_BYTES = 1 << 18;

const STATE: Readonly<Record<ExtentType, number | null>> = {
  hole: EXT_HOLE,
  delalloc: EXT_DELALLOC,
  mapped: EXT_WRITTEN,
  unwritten: EXT_UNWRITTEN,
  inline: null,
};

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export function buildXfs(rt: Runtime, disk: Disk, scenario: Scenario): { fs: ModelXfs; file: XfsFile } {
  const bs = scenario.fs.blockSize;
  const spb = bs >> SECTOR_SHIFT;
  const dataBlocks = Math.floor((disk.media.length - LOG_SECTORS) / spb);
  if (dataBlocks <= 0) throw new ScenarioError('disk too small for the model filesystem');
  const extents: InitialExtent[] = scenario.fs.extents.map((e) => {
    const state = STATE[e.type];
    if (state === null) throw new ScenarioError(`the model filesystem has no ${e.type} extents`);
    if (e.offset % bs || e.length % bs) throw new ScenarioError(`extent at ${e.offset} is not block-aligned`);
    const addr = e.addr ?? -1;
    const mapped = state === EXT_WRITTEN || state === EXT_UNWRITTEN;
    if (mapped && (addr < 0 || addr % bs))
      throw new ScenarioError(`extent at ${e.offset} needs a block-aligned addr`);
    return {
      block: e.offset / bs,
      count: e.length / bs,
      state,
      addr: mapped ? addr / bs : -1,
      shared: (e.flags ?? []).includes('shared'),
    };
  });
  const fs = new ModelXfs(
    rt,
    disk,
    { blockSize: bs, fileBlocks: MAX_FILE_BYTES / bs, dataBlocks, logSectors: LOG_SECTORS },
    extents,
    scenario.fs.iSize,
  );
  fs.sizeDirtyRule = scenario.fs.sizeDirtyRule ?? 'on-disk';
  return { fs, file: new XfsFile(fs) };
}
