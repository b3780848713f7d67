/**
 * A scenario as a world holds it: its filesystem spec and the spec's extents each in one shape
 * (every field present, in one order, `undefined` where the scenario leaves it out).
 *
 * Scenarios leave optional fields out, each in its own way: the bench's 1,000 campaign cases have
 * 86 hidden classes of `fs` and 7 of extents. The scripted filesystem reads its spec and extents
 * at each call, and its sites saw dozens of shapes, past what V8's inline caches keep (four), so
 * each field was looked up in the global stub cache. A field left out and one that is `undefined`
 * read the same, and nothing walks these objects' keys. The direct I/O ops (81 shapes) stay as
 * drawn: copying them costs a run more than their readers gain (paired, 0.955x with only the ops
 * shaped, 1.026x with only the fs spec).
 */
import type { NoneLeftOut } from '../runtime/faults.ts';
import type { ExtentFlag, ExtentSpec, ExtentType, FsSpec, Leftover, Scenario } from './scenario.ts';

export class Extent implements ExtentSpec {
  readonly offset: number;
  readonly length: number;
  readonly type: ExtentType;
  readonly flags: readonly ExtentFlag[] | undefined;
  readonly addr: number | undefined;
  readonly inlineOffsetInPage: number | undefined;

  constructor(e: ExtentSpec) {
    this.offset = e.offset;
    this.length = e.length;
    this.type = e.type;
    this.flags = e.flags;
    this.addr = e.addr;
    this.inlineOffsetInPage = e.inlineOffsetInPage;
  }
}

export class Fs implements FsSpec {
  readonly model: 'xfs' | 'ext4' | 'scripted' | undefined;
  readonly blockSize: number;
  readonly iSize: number;
  readonly extents: readonly ExtentSpec[];
  readonly pageCache: ReadonlyArray<{ readonly index: number; readonly dirty: boolean }> | undefined;
  readonly endIo: boolean | undefined;
  readonly readEndIo: boolean | undefined;
  readonly endIoMaySleep: boolean | undefined;
  readonly sizeDirtyRule: 'in-core' | 'on-disk' | undefined;
  readonly bioSet: boolean | undefined;
  readonly submitIo: boolean | undefined;
  readonly submitIoDeferred: boolean | undefined;
  readonly notblkFrom: number | undefined;
  readonly generic: boolean | undefined;
  readonly leftovers: readonly Leftover[] | undefined;
  readonly fsyncErrno: number | undefined;

  constructor(fs: FsSpec) {
    this.model = fs.model;
    this.blockSize = fs.blockSize;
    this.iSize = fs.iSize;
    this.extents = fs.extents.map((e) => new Extent(e));
    this.pageCache = fs.pageCache;
    this.endIo = fs.endIo;
    this.readEndIo = fs.readEndIo;
    this.endIoMaySleep = fs.endIoMaySleep;
    this.sizeDirtyRule = fs.sizeDirtyRule;
    this.bioSet = fs.bioSet;
    this.submitIo = fs.submitIo;
    this.submitIoDeferred = fs.submitIoDeferred;
    this.notblkFrom = fs.notblkFrom;
    this.generic = fs.generic;
    this.leftovers = fs.leftovers;
    this.fsyncErrno = fs.fsyncErrno;
  }
}

/** `s` with its fs spec and extents in their one shape (the rest as it is). */
export function shapedScenario(s: Scenario): Scenario {
  return {
    device: s.device,
    fs: new Fs(s.fs),
    bioMaxVecs: s.bioMaxVecs,
    threads: s.threads,
  };
}

/**
 * A field the spec types gain and the shapes above do not copy would be dropped from every run
 * without a word (an optional field satisfies `implements` left out): this fails to compile then.
 */
export type ShapesCopyEveryField = NoneLeftOut<
  | Exclude<keyof FsSpec, keyof Fs>
  | Exclude<keyof ExtentSpec, keyof Extent>
  | Exclude<keyof Scenario, 'device' | 'fs' | 'bioMaxVecs' | 'threads'>
>;
