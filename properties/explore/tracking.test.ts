/**
 * The objects the explorer tracks (engine.ts shareFields: a heap object's fields, a shared root's
 * scalars, moved behind accessors) keep fast properties. The explorer deletes their tracked own
 * fields last first, which V8 undoes map by map; a field declared after them (a private one:
 * World's, IomapDio's) made the first delete turn the object into a dictionary, at a conversion
 * cost per object and run and a hash lookup at every later access to it.
 */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { Probe, WorldView } from '../../model/world/probe.ts';
import { explore } from './engine.ts';
import { FIELDS, worldRoot } from './fingerprint.ts';
import { spinScope } from './spinScopes.ts';

setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

describe('explorer tracking', () => {
  it('every tracked object keeps fast properties (SPIN aio write, N = 2, objects in flight at the return)', () => {
    const tracked = new Set<string>();
    const slow = new Set<string>();
    const look = (o: unknown): void => {
      if (typeof o !== 'object' || o === null || !(FIELDS in o)) return;
      const name = (o as { constructor: { name: string } }).constructor.name;
      tracked.add(name);
      if (!hasFastProperties(o)) slow.add(name);
    };
    const probe: Probe = {
      onReturn(w: WorldView) {
        look(w);
        for (const key of ['xfs', 'inode', 'xfsFile', 'buffered', 'fs']) look(worldRoot(w, key));
        for (const o of w.rt.heap.liveObjects()) look(o);
      },
    };
    const s = spinScope('awrite', 2);
    explore({ scenario: s.scenario, faults: s.faults, maxFaults: s.maxFaults, probe, maxPaths: 40 });
    // Not vacuous: the world, the filesystem's roots, a dio and its bios were tracked and seen.
    for (const name of ['World', 'ModelXfs', 'Inode', 'IomapDio', 'Bio']) expect(tracked).toContain(name);
    expect([...slow]).toEqual([]);
  });
});
