/**
 * build-kernel.sh's staleness check, run as bash runs it: the guest agent is rebuilt when agent.c
 * or guest.h (the part it shares with btrfsDsync.c) changes, and only then.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SCRIPT = readFileSync(join(HERE, 'build-kernel.sh'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'diocheck-build-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The script's stale() and built() definitions, then `body`, in bash; its exit status. */
function bash(body: string): number {
  const defs = SCRIPT.split('\n').filter((l) => /^(stale|built)\(\)/.test(l));
  expect(defs).toHaveLength(2);
  const r = spawnSync('bash', ['-c', `${defs.join('\n')}\n${body}`], { cwd: dir, encoding: 'utf8' });
  return r.status ?? -1;
}

describe('build-kernel.sh staleness', () => {
  it('rebuilds the agent when agent.c or guest.h changes', () => {
    expect(SCRIPT).toContain('if stale "$cache/root/agent" "$here/agent.c" "$here/guest.h"; then');
    expect(SCRIPT).toContain('built "$cache/root/agent" "$here/agent.c" "$here/guest.h"');
    writeFileSync(join(dir, 'agent.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(dir, 'guest.h'), '/* shared */\n');
    writeFileSync(join(dir, 'agent'), 'binary');
    expect(bash('stale agent agent.c guest.h')).toBe(0);
    expect(bash('built agent agent.c guest.h && ! stale agent agent.c guest.h')).toBe(0);
    writeFileSync(join(dir, 'guest.h'), '/* shared, changed */\n');
    expect(bash('stale agent agent.c guest.h')).toBe(0);
    expect(bash('built agent agent.c guest.h && ! stale agent agent.c guest.h')).toBe(0);
    writeFileSync(join(dir, 'agent.c'), 'int main(void) { return 1; }\n');
    expect(bash('stale agent agent.c guest.h')).toBe(0);
  });

  it('keeps the hash of a one-source build as it was (the shim is not rebuilt for nothing)', () => {
    writeFileSync(join(dir, 'shim.c'), 'int x;\n');
    writeFileSync(join(dir, 'shim.so'), 'binary');
    expect(bash('sha256sum <shim.c >shim.so.sha256 && ! stale shim.so shim.c')).toBe(0);
  });
});
