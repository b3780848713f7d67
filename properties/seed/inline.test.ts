/**
 * Inline data (seed L455-486): reads and writes copy to and from the inode's inline buffer with no
 * bio; a write past i_size zeroes the gap and grows i_size by what it copied; an inline buffer that
 * would cross a page is refused with -EIO (L465-466).
 */
import { describe, expect, it } from 'vitest';
import { IOMAP_DIO_WRITE } from '../../model/kernel/flags.ts';
import { TAG_UNTOUCHED } from '../../model/mm/tags.ts';
import type { ExtentSpec } from '../../model/world/scenario.ts';
import {
  bios,
  bufTags,
  expectCovered,
  expectNotCovered,
  expectPass,
  expectSyncResult,
  KiB,
  req,
  run,
  scenario,
  userTags,
  zeros,
} from './helpers.ts';

/** 2 KiB of inline data starting 1 KiB into its page: it fits. */
const INLINE: ExtentSpec = { offset: 0, length: 2 * KiB, type: 'inline', inlineOffsetInPage: 1024 };
/** 4 KiB of inline data starting 512 bytes into its page: it would cross the page. */
const CROSSING: ExtentSpec = { offset: 0, length: 4 * KiB, type: 'inline', inlineOffsetInPage: 512 };

describe('inline data', () => {
  it('writes into the inline buffer, grows i_size, and a read returns the data trimmed at i_size', () => {
    const r = run(
      scenario({
        fs: { iSize: 0, extents: [INLINE] },
        ops: [
          { kind: 'dio_write', pos: 0, len: 1024 },
          { kind: 'dio_read', pos: 0, len: 2048 },
        ],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, 1024);
    expect(req(r, 1).iocb.kiPos).toBe(1024);
    expect(r.inode.iSize).toBe(1024);
    expect(r.inode.dirtied).toBe(1);
    // The read copies the whole mapping, but reports only up to the i_size it sampled (L96-98).
    expectSyncResult(r, 2, 1024);
    expect(req(r, 2).iocb.kiPos).toBe(1024);
    expect(bufTags(r, 2, 4)).toEqual([...userTags(1, 0, 2), ...zeros(2)]);
    expect(r.fs.iomapEndCalls).toEqual([
      { pos: 0, length: 1024, written: 1024 },
      { pos: 0, length: 2048, written: 2048 },
    ]);
    expect(r.fs.endIoCalls).toEqual([{ size: 1024, error: 0, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 503, 475, 480, 98);
    expectNotCovered(r, 472, 466, 61);
  });

  it('zeroes the gap between i_size and a write that starts past it', () => {
    const r = run(
      scenario({
        fs: { iSize: 512, extents: [INLINE] },
        ops: [
          { kind: 'dio_write', pos: 1024, len: 1024 },
          { kind: 'dio_read', pos: 0, len: 2048 },
        ],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, 1024);
    expect(req(r, 1).iocb.kiPos).toBe(2048);
    expect(r.inode.iSize).toBe(2048);
    expectSyncResult(r, 2, 2048);
    expect(req(r, 2).iocb.kiPos).toBe(2048);
    expect(bufTags(r, 2, 4)).toEqual([...zeros(2), ...userTags(1, 0, 2)]);
    expectCovered(r, 472, 475);
  });

  it('refuses to read inline data that crosses a page with -EIO', () => {
    const r = run(
      scenario({
        fs: { iSize: 4 * KiB, extents: [CROSSING] },
        ops: [{ kind: 'dio_read', pos: 0, len: 4096 }],
      }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(bufTags(r, 1, 8)).toEqual(new Array<number>(8).fill(TAG_UNTOUCHED));
    expect(r.fs.iomapEndCalls).toEqual([{ pos: 0, length: 4096, written: 0 }]);
    expectCovered(r, 466, 690);
    expectNotCovered(r, 480);
  });

  it('refuses to write inline data that crosses a page with -EIO and leaves i_size alone', () => {
    const r = run(
      scenario({ fs: { iSize: 0, extents: [CROSSING] }, ops: [{ kind: 'dio_write', pos: 0, len: 1024 }] }),
    );
    expectPass(r);
    expect(bios(r)).toEqual([]);
    expectSyncResult(r, 1, -5);
    expect(req(r, 1).iocb.kiPos).toBe(0);
    expect(r.inode.iSize).toBe(0);
    expect(r.inode.dirtied).toBe(0);
    expect(r.fs.endIoCalls).toEqual([{ size: 0, error: -5, flags: IOMAP_DIO_WRITE, context: 'task1' }]);
    expectCovered(r, 466, 690);
    expectNotCovered(r, 475);
  });
});
