/**
 * Builds the model filesystem for a scenario: the scenario's extents become the initial data fork
 * (block-aligned; mapped extents hold the file's original data, write 0), the disk is split into a
 * data area and a log area at its end.
 */
import type { Disk } from '../block/disk.ts';
import { EXT_DELALLOC, EXT_HOLE, EXT_UNWRITTEN, EXT_WRITTEN } from '../fs/extentMap.ts';
import { type InitialExtent, ModelXfs, type XfsGeometry } from '../fs/xfs.ts';
import { XfsFile } from '../fs/xfsFile.ts';
import { SECTOR_SHIFT, TAG_STALE, userTag } from '../mm/tags.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { ExtentType, Scenario } from './scenario.ts';

export const LOG_SECTORS = 256;
/** Largest file the model filesystem holds, in bytes. */
export const MAX_FILE_BYTES = 1 << 18;
/**
 * The write whose bytes the leftovers hold (FsSpec.leftovers): an earlier version of the file that
 * a crash, a truncate or a delete took away before mount. Its tags are placed at the file offsets
 * they were written for, so placement alone would accept them; the data checker knows them as
 * removed (properties/invariants/data.ts). Far above any run's write ids (a run has a few dozen).
 */
export const PRIOR_WRITE_ID = 0x7ffe;

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
  const { geo, extents } = xfsLayout(disk, scenario);
  const fs = new ModelXfs(rt, disk, geo, extents, scenario.fs.iSize);
  fs.sizeDirtyRule = scenario.fs.sizeDirtyRule ?? 'on-disk';
  writeLeftovers(fs, scenario, 'xfs');
  return { fs, file: new XfsFile(fs) };
}

/**
 * The scenario checked and turned into the model filesystem's geometry and initial extents
 * (block-aligned; the disk split into a data area and a log area at its end): ScenarioError if
 * the model filesystem cannot hold it.
 */
export function xfsLayout(disk: Disk, scenario: Scenario): { geo: XfsGeometry; extents: InitialExtent[] } {
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
  return {
    geo: { blockSize: bs, fileBlocks: MAX_FILE_BYTES / bs, dataBlocks, logSectors: LOG_SECTORS },
    extents,
  };
}

/**
 * Puts the scenario's leftovers (FsSpec.leftovers) on the media of a freshly built model
 * filesystem, over the original data its constructor wrote: see spec/fs.md, "Initial states".
 */
export function writeLeftovers(fs: ModelXfs, scenario: Scenario, model: 'xfs' | 'ext4'): void {
  const leftovers = scenario.fs.leftovers ?? [];
  fs.leftovers = leftovers;
  if (leftovers.length === 0) return;
  const media = fs.disk.media;
  const spb = fs.sectorsPerBlock;
  const iSize = scenario.fs.iSize;
  const eofBlocks = Math.ceil(iSize / fs.blockSize);
  const map = fs.map;
  // What the leftovers hold, asked once and not at every block.
  const unwritten = leftovers.includes('unwritten');
  const eofTail = leftovers.includes('eof-tail');
  const pastEof = leftovers.includes('past-eof');
  // Past the scenario's last extent every block of a freshly built map is a hole: the walk stops
  // there (a file of 512-byte blocks has 512 of them, most past its few extents).
  let end = 0;
  for (const e of scenario.fs.extents) end = Math.max(end, Math.ceil((e.offset + e.length) / fs.blockSize));
  let top = 0;
  for (let b = 0; b < Math.min(end, map.blocks); b++) {
    const state = map.state[b];
    const addr = map.addr[b] ?? -1;
    if (state !== EXT_WRITTEN && state !== EXT_UNWRITTEN) continue;
    top = Math.max(top, addr + 1);
    if (state === EXT_UNWRITTEN) {
      if (unwritten) prior(fs, addr, b, 0);
    } else if (b === eofBlocks - 1 && iSize % fs.blockSize) {
      // The EOF block: its bytes past i_size, from the sector holding i_size on (a sector that
      // i_size cuts keeps the file's data: tags are per sector).
      if (eofTail) prior(fs, addr, b, Math.ceil((iSize % fs.blockSize) / 512));
    } else if (b >= eofBlocks && pastEof) {
      if (model === 'xfs') prior(fs, addr, b, 0);
      else {
        fs.disk.mediaWritten(addr * spb, spb);
        media.fill(TAG_STALE, addr * spb, (addr + 1) * spb);
      }
    }
  }
  if (leftovers.includes('free')) {
    // As prior() block after block from disk block `top` (file block 0 on): the earlier write's
    // units in a row, one written range.
    const blocks = Math.min(fs.geo.fileBlocks, fs.geo.dataBlocks - top);
    if (blocks > 0) {
      const first = top * spb;
      fs.disk.mediaWritten(first, blocks * spb);
      for (let u = 0; u < blocks * spb; u++) media[first + u] = userTag(PRIOR_WRITE_ID, u);
    }
  }
}

/**
 * The earlier write's bytes in disk block `diskBlock` (file block `fileBlock`) from sector
 * `fromUnit` on. A module function, not a closure per build (tsx names each closure it makes).
 */
function prior(fs: ModelXfs, diskBlock: number, fileBlock: number, fromUnit: number): void {
  const spb = fs.sectorsPerBlock;
  // Recycled media are refilled only where a run wrote (Disk.mediaWritten).
  fs.disk.mediaWritten(diskBlock * spb + fromUnit, spb - fromUnit);
  const media = fs.disk.media;
  for (let s = fromUnit; s < spb; s++)
    media[diskBlock * spb + s] = userTag(PRIOR_WRITE_ID, fileBlock * spb + s);
}
