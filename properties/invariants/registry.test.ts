import { describe, expect, it } from 'vitest';
import type { CompletionView, RequestView, WorldView } from '../../model/world/probe.ts';
import type { Invariant, ResultFilter } from './invariant.ts';
import { makeProbe } from './registry.ts';

/** A checker that logs its id at each result it is given. */
function spy(id: string, log: string[], resultsOf?: ResultFilter): Invariant {
  return {
    id,
    name: id,
    kind: 'safety',
    family: 'results',
    statement: id,
    source: 'test',
    ...(resultsOf === undefined ? {} : { resultsOf }),
    probe: { onResult: () => void log.push(id) },
  };
}

const world = {} as WorldView;
const request = (write: boolean, partial: boolean, nowait: boolean) =>
  ({ write, partial, nowait }) as RequestView;
const result = (res: number) => ({ res }) as CompletionView;

describe('makeProbe', () => {
  it('gives a result to the checkers whose filter it passes, in catalogue order', () => {
    const log: string[] = [];
    const probe = makeProbe([
      spy('ANY', log),
      spy('READS', log, { write: false }),
      spy('WRITES', log, { write: true }),
      spy('PARTIAL', log, { partial: true }),
      spy('NOWAIT-COUNT', log, { nowait: true, failed: false }),
      spy('FAILED', log, { failed: true }),
      spy('LAST', log),
    ]);
    const seen = (r: RequestView, res: number) => {
      log.length = 0;
      probe.onResult?.(world, r, result(res));
      return [...log];
    };
    expect(seen(request(false, false, false), 512)).toEqual(['ANY', 'READS', 'LAST']);
    expect(seen(request(true, false, false), 512)).toEqual(['ANY', 'WRITES', 'LAST']);
    expect(seen(request(true, true, true), 0)).toEqual(['ANY', 'WRITES', 'PARTIAL', 'NOWAIT-COUNT', 'LAST']);
    expect(seen(request(false, true, true), -11)).toEqual(['ANY', 'READS', 'PARTIAL', 'FAILED', 'LAST']);
    expect(seen(request(true, false, true), -5)).toEqual(['ANY', 'WRITES', 'FAILED', 'LAST']);
  });
});
