/**
 * A scenario as a world holds it: its filesystem spec and the spec's extents each in one shape
 * (every field present, in one order, `undefined` where the scenario leaves it out).
 *
 * Scenarios leave optional fields out, each in its own way: the bench's 1,000 campaign cases have
 * 86 hidden classes of `fs` and 7 of extents. The scripted filesystem reads its spec and extents
 * at each call, and its sites saw dozens of shapes, past what V8's inline caches keep (four), so
 * each field was looked up in the global stub cache. A field left out and one that is `undefined`
 * read the same, and nothing walks these objects' keys. The direct I/O ops (81 shapes) are not
 * copied at a run: that costs a run more than their readers gain (paired, 0.955x with only the ops
 * shaped, 1.026x with only the fs spec; session 16, copied by a for-in as the fs spec is, 1.004x
 * both load orders), and scripts/commands/confirm.ts finds a request's op by identity. The
 * campaign's generators build them as DioOp instead, in one shape from the start.
 */
import type { NoneLeftOut } from '../runtime/faults.ts';
import type {
  BadPageSpec,
  DioFlag,
  DioOpSpec,
  ExtentFlag,
  ExtentSpec,
  ExtentType,
  FsSpec,
  IocbFlag,
  Leftover,
  Scenario,
} from './scenario.ts';

/*
 * The fields every spec has are declared `!`: the constructors assign them in a for-in over the
 * spec's keys, which the compiler cannot follow (a spec without one reads `undefined`, as before).
 */

/**
 * A direct I/O request as the campaign's generators build it (properties/arbitraries/): every
 * DioOpSpec field present, in one order, `undefined` where the request leaves it out. Built field
 * by field, the drawn requests came in 56 shapes (the bench's cases), and every read of a field
 * (the thread program's switch on the kind, World.beginDio's reads) missed V8's inline caches and
 * went to the global stub cache. A field left out and one that is `undefined` read the same, and a
 * replay's JSON leaves both out.
 */
export class DioOp implements DioOpSpec {
  kind: 'dio_read' | 'dio_write';
  pos: number;
  len: number;
  bufAddr: number | undefined = undefined;
  userBacked: boolean | undefined = undefined;
  async: boolean | undefined = undefined;
  iocbFlags: readonly IocbFlag[] | undefined = undefined;
  dioFlags: readonly DioFlag[] | undefined = undefined;
  doneBefore: number | undefined = undefined;
  badPage: BadPageSpec | undefined = undefined;

  constructor(kind: 'dio_read' | 'dio_write', pos: number, len: number) {
    this.kind = kind;
    this.pos = pos;
    this.len = len;
  }

  /** A copy with other iocb flags (`undefined`: none). */
  withIocbFlags(iocbFlags: readonly IocbFlag[] | undefined): DioOp {
    const op = Object.assign(new DioOp(this.kind, this.pos, this.len), this);
    op.iocbFlags = iocbFlags;
    return op;
  }
}

export class Extent implements ExtentSpec {
  readonly offset!: number;
  readonly length!: number;
  readonly type!: ExtentType;
  readonly flags: readonly ExtentFlag[] | undefined;
  readonly addr: number | undefined;
  readonly inlineOffsetInPage: number | undefined;

  constructor(e: ExtentSpec) {
    // The fields the spec has, by key (see Fs's constructor).
    for (const k in e) {
      const key = k as keyof ExtentSpec;
      const v = e[key];
      switch (key) {
        case 'offset':
          this.offset = v as number;
          break;
        case 'length':
          this.length = v as number;
          break;
        case 'type':
          this.type = v as ExtentType;
          break;
        case 'flags':
          this.flags = v as readonly ExtentFlag[] | undefined;
          break;
        case 'addr':
          this.addr = v as number | undefined;
          break;
        case 'inlineOffsetInPage':
          this.inlineOffsetInPage = v as number | undefined;
          break;
        default:
          everyKey(key);
      }
    }
  }
}

export class Fs implements FsSpec {
  readonly model: 'xfs' | 'ext4' | 'scripted' | undefined;
  readonly blockSize!: number;
  readonly iSize!: number;
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
    this.extents = shapedExtents(fs.extents);
    // The fields the spec has, by key: a for-in over an object takes its keys from the object's own
    // map (its enum cache) and loads each by that cache, where a load of each field by name, present
    // or not, met dozens of shapes and went to V8's global stub cache (0.5 against 0.07 µs a spec,
    // the bench's cases). A field the spec leaves out stays `undefined`, as it read before.
    for (const k in fs) {
      const key = k as keyof FsSpec;
      const v = fs[key];
      switch (key) {
        case 'extents':
          break;
        case 'model':
          this.model = v as FsSpec['model'];
          break;
        case 'blockSize':
          this.blockSize = v as number;
          break;
        case 'iSize':
          this.iSize = v as number;
          break;
        case 'pageCache':
          this.pageCache = v as FsSpec['pageCache'];
          break;
        case 'endIo':
          this.endIo = v as boolean | undefined;
          break;
        case 'readEndIo':
          this.readEndIo = v as boolean | undefined;
          break;
        case 'endIoMaySleep':
          this.endIoMaySleep = v as boolean | undefined;
          break;
        case 'sizeDirtyRule':
          this.sizeDirtyRule = v as FsSpec['sizeDirtyRule'];
          break;
        case 'bioSet':
          this.bioSet = v as boolean | undefined;
          break;
        case 'submitIo':
          this.submitIo = v as boolean | undefined;
          break;
        case 'submitIoDeferred':
          this.submitIoDeferred = v as boolean | undefined;
          break;
        case 'notblkFrom':
          this.notblkFrom = v as number | undefined;
          break;
        case 'generic':
          this.generic = v as boolean | undefined;
          break;
        case 'leftovers':
          this.leftovers = v as FsSpec['leftovers'];
          break;
        case 'fsyncErrno':
          this.fsyncErrno = v as number | undefined;
          break;
        default:
          everyKey(key);
      }
    }
  }
}

/** The extents in their one shape (a loop: map's callback saw every shape at one site too). */
function shapedExtents(extents: readonly ExtentSpec[]): Extent[] {
  const out: Extent[] = [];
  for (const e of extents) out.push(new Extent(e));
  return out;
}

/**
 * A key of the spec types that the switches above have no case for fails to compile here; a key
 * the types do not know (a replay file's extra field) is left out at run time, as before.
 */
function everyKey(_key: never): void {}

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
  | Exclude<keyof DioOpSpec, keyof DioOp>
  | Exclude<keyof ExtentSpec, keyof Extent>
  | Exclude<keyof Scenario, 'device' | 'fs' | 'bioMaxVecs' | 'threads'>
>;
