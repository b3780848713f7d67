/**
 * Every command README.md shows runs here, as written, so that the README cannot drift from the
 * command line: each one in a folder that looks like a fresh checkout (the repository's files
 * linked, an empty out/), `npx diocheck` and `npm run diocheck --` through the package's bin,
 * the rest (`npm run campaign`, `npm run kernel:hunks ...`) through npm; its exit status and the
 * first line of its output are checked. A campaign's budget may be shortened (`--time 60s` to
 * `--runs N`) and a placeholder (FILE, NAME, S) filled in; the matcher below checks that nothing
 * else differs. The few commands that cannot run in CI are exempted, each with its reason, and
 * the test checks that list stays short.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeCommands, readmeCommandsOf, sameCommand } from './readmeCommands.ts';
import { ROOT } from './spawnCli.ts';

interface Runs {
  /** What runs: the README's command with a shorter budget or placeholders filled in. */
  readonly run: string;
  /** A shell command run first in the same folder (a file the README command reads). */
  readonly setup?: string;
  readonly exit: number;
  /** The first line of stdout (stderr when stdout is empty). */
  readonly first: RegExp;
}
interface Exempt {
  readonly exempt: string;
}
type Expectation = Runs | Exempt;

const BASELINE_SYS01 = 'properties/regressions/baseline/6.12.117/sys-01-task-xfs-get-pages-fault.json';
const REPLAY_SEED = '2';
const REPLAY_PATH = '1000:0:0:0:0:0:0:0:4:2:3:3:3:3:3:3:3:3:3:3:3:3:3:3:3:3:3:4:4:5:5:6:6:7:7:8:11:13:15';

/** Keyed by the command exactly as README.md writes it. */
const EXPECTED: Record<string, Expectation> = {
  'npm ci && npm run campaign': {
    run: 'npm run campaign -- --runs 200',
    exit: 0,
    first: /^seed -?\d+$/,
  },
  'npm ci': { exempt: 'installs the dependencies from the registry (CI and this test run after it)' },
  'npm test': { exempt: 'the test suite this test is part of' },
  [`npx diocheck repro --seed ${REPLAY_SEED} --path ${REPLAY_PATH} --kernel 6.12.117`]: {
    run: `npx diocheck repro --seed ${REPLAY_SEED} --path ${REPLAY_PATH} --kernel 6.12.117`,
    exit: 1,
    first: /^VIOLATED {2}SYS-01 in task1 at seed L440: write req1 of 512 bytes at 4608 returned 0$/,
  },
  'npx diocheck repro out/counterexamples/SYS-01-seed2-run334-kernel-6.12.117.json': {
    exempt: 'the file a 60 s campaign on 6.12.117 writes; its --seed/--path line above and repro FILE run',
  },
  'npm run diocheck -- repro --seed S --path P': {
    run: `npm run diocheck -- repro --seed ${REPLAY_SEED} --path ${REPLAY_PATH}`,
    exit: 0,
    first: /^PASSES/,
  },
  'npm run diocheck -- repro FILE': {
    run: `npm run diocheck -- repro ${BASELINE_SYS01}`,
    exit: 1,
    first: /^replay /,
  },
  'npm run diocheck -- help': {
    run: 'npm run diocheck -- help',
    exit: 0,
    first: /^diocheck: an executable model/,
  },
  'npm run diocheck -- run --kernel 6.12.117 --time 60s': {
    run: 'npm run diocheck -- run --kernel 6.12.117 --runs 300 --seed 1',
    exit: 0,
    first: /^seed 1$/,
  },
  // A pinned seed: the release campaign exits 0 only when every signature it meets is baselined,
  // and the baselines are swept from fixed seeds (seed 3 for every release); a clock seed made CI
  // fail on whichever unswept signature its first runs met (session 11).
  'npm run diocheck -- run --kernel 6.12.117': {
    run: 'npm run diocheck -- run --kernel 6.12.117 --runs 100 --seed 3',
    exit: 0,
    first: /^seed 3$/,
  },
  'npm run diocheck -- confirm FILE': {
    exempt: "needs root, ptrace and the release's UML kernel (the oracle)",
  },
  'npm run oracle': { exempt: 'builds User-Mode Linux kernels and needs root and ptrace' },
  'npm run oracle -- --release 6.12.117': {
    exempt: 'builds a User-Mode Linux kernel and needs root and ptrace',
  },
  'bash .ci/oracle [RELEASE]': { exempt: 'the optional CI job of the oracle: root, ptrace, kernel builds' },
  'npm run diocheck -- diff --kernel 6.12.117 --kernel 6.12.118 --runs 20000 --seed 1': {
    run: 'npm run diocheck -- diff --kernel 6.12.117 --kernel 6.12.118 --runs 300 --seed 1',
    exit: 0,
    first: /^diff: /,
  },
  [`npm run diocheck -- explain ${BASELINE_SYS01} --html out/sys01.html`]: {
    run: `npm run diocheck -- explain ${BASELINE_SYS01} --html out/sys01.html`,
    exit: 0,
    first: /^explain properties\/regressions\/baseline\//,
  },
  'npm run diocheck -- run --workers 2': {
    run: 'npm run diocheck -- run --workers 2 --runs 200',
    exit: 0,
    first: /^seed -?\d+$/,
  },
  'npm run bench': { exempt: 'ten minutes; its --quick form below runs in scripts/bench.test.ts' },
  'npm run bench -- --soak 300': {
    exempt: 'a five-minute heap campaign; scripts/bench.test.ts runs --quick',
  },
  'npm run bench -- --quick': { exempt: 'scripts/bench.test.ts runs it and checks its output' },
  'npx tsx scripts/bench/sameRuns.ts [--traced] [--cases N] [--bug-runs N] [--seed-cases N]': {
    run: 'npx tsx scripts/bench/sameRuns.ts --cases 20 --bug-runs 1 --seed-cases 5',
    exit: 0,
    first: /^same runs \(plain\): 20 campaign cases/,
  },
  'npx tsx scripts/bench/trampolineCopy.ts DIR': {
    exempt:
      "copies HEAD with git archive, and this test's copy of the checkout has no .git; scripts/bench/trampolineCopy.test.ts checks its rewrites",
  },
  'npx tsx scripts/bench/paired.ts --base DIR': {
    exempt: 'minutes of paired blocks against a second checkout; scripts/bench/paired.test.ts runs it small',
  },
  'npx tsx scripts/bench/costSplit.ts [--cases N] [--blocks N]': {
    run: 'npx tsx scripts/bench/costSplit.ts --cases 20 --blocks 2',
    exit: 0,
    first: /^cost split: 20 campaign cases/,
  },
  'npx tsx scripts/bench/callChain.ts [--cases N]': {
    run: 'npx tsx scripts/bench/callChain.ts --cases 20',
    exit: 0,
    first: /^call chain: 20 campaign cases/,
  },
  'npm run diocheck -- run --seed ${{ github.run_id }} --time 5m --shard ${{ matrix.shard }}/4 --json out/shard-${{ matrix.shard }}.json --junit out/shard-${{ matrix.shard }}.xml':
    {
      run: 'npm run diocheck -- run --seed 7 --runs 200 --shard 1/4 --json out/shard-1.json --junit out/shard-1.xml',
      exit: 0,
      first: /^seed 7$/,
    },
  'npm run diocheck -- merge shards/*/shard-*.json --json out/merged.json --junit out/merged.xml': {
    setup:
      'for i in 1 2; do node scripts/diocheck.mjs run --seed 7 --runs 100 --shard $i/2 --json shards/shard-$i/shard-$i.json >/dev/null; done',
    run: 'npm run diocheck -- merge shards/*/shard-*.json --json out/merged.json --junit out/merged.xml',
    exit: 0,
    first: /^merged 2 report/,
  },
  'npm run diocheck -- promote out/counterexamples/X.json --name NAME [--note TEXT] [--expect pass|violation]':
    {
      run: `npm run diocheck -- promote ${BASELINE_SYS01} --name readme-test --expect violation`,
      exit: 0,
      first: /^promoted/,
    },
  'npm run diocheck -- export --xfs-io properties/regressions/dsync-write-racing-sync-cow-write.json --out out/cow.sh':
    {
      run: 'npm run diocheck -- export --xfs-io properties/regressions/dsync-write-racing-sync-cow-write.json --out out/cow.sh',
      exit: 0,
      first: /^xfs_io script: out\/cow\.sh$/,
    },
  'sh out/cow.sh /mnt/scratch/file': { exempt: 'needs xfs_io and a scratch XFS mounted at /mnt/scratch' },
  'npm run kernel:hunks -- --rows': {
    run: 'npm run kernel:hunks -- --rows',
    exit: 0,
    first: /^kernel:hunks: 0 problem\(s\) in the hunk tables/,
  },
  'npm run kernel:hunks -- --check': {
    exempt: "reads the six releases' kernel sources, which CI does not have",
  },
  'npm run campaign': { run: 'npm run campaign -- --runs 100', exit: 0, first: /^seed -?\d+$/ },
  'npm run diocheck -- hunt [--bug NAME] [--seeds K] [--budget N] [--json FILE] [--out DIR] [--record] [--strict]':
    {
      run: 'npm run diocheck -- hunt --bug set-error-plain-store --seeds 2 --out out/hunt',
      exit: 0,
      first: /^hunt: /,
    },
  'npx diocheck hunt --bug NAME --replay RUNSEED': {
    run: 'npx diocheck hunt --bug set-error-plain-store --replay set-error-plain-store:1:20',
    exit: 1,
    first: /^planted bug set-error-plain-store/,
  },
  'npm run mutation': { exempt: 'StrykerJS over the model: about 20 minutes' },
  'npx stryker run --mutate model/kernel/iomapDioBio.ts': { exempt: 'StrykerJS on one file: minutes' },
  'npm run diocheck -- explore [--scenario NAME|FILE] [--bug NAME] [--max-faults K] [--crash] [--max-states M] [--json FILE] [--out DIR] [--no-prune] [--no-reduce]':
    {
      run: 'npm run diocheck -- explore --scenario dsync-unwritten-crash --out out/explore',
      exit: 0,
      first: /^dsync-unwritten-crash: \d+ paths .*complete: no violation$/,
    },
};

/** Exemptions: few, each with a reason; everything else runs. */
const EXEMPT_MAX = 16;

function isExempt(e: Expectation): e is Exempt {
  return 'exempt' in e;
}

/**
 * A copy of the checkout as a clone would have it (tracked and new files, not out/ or what git
 * ignores), with node_modules linked: the commands run there exactly as a new user runs them.
 */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'diocheck-readme-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  for (const file of files.split('\0')) {
    // Files only (a deleted file is still listed until committed; node_modules may be a link).
    if (file === '' || !existsSync(join(ROOT, file)) || !lstatSync(join(ROOT, file)).isFile()) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

interface Shell {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function shell(command: string, cwd: string): Promise<Shell> {
  // The package's bin stands for npx and `npm run diocheck --` (npm's start-up is seconds here).
  const bin = 'node scripts/diocheck.mjs ';
  const line = command.replace(/^npx diocheck /, bin).replace(/^npm run diocheck -- /, bin);
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', line],
      { cwd, env: { ...process.env, DIOSIM_TIER: 'fast', NO_COLOR: '1' }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const commands = readmeCommandsOf(join(ROOT, 'README.md'));
const distinct = [...new Set(commands.map((c) => c.text))];

describe('README.md commands', () => {
  let dir = '';
  beforeAll(() => {
    dir = freshCopy();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the commands of code blocks, YAML steps, printed replay lines and inline spans', () => {
    const md = [
      'Run `npm run diocheck -- help` or `diocheck run`.',
      '```',
      'npm run bench -- --quick   # seconds',
      'npx diocheck explore [--bug NAME]',
      '                     [--crash]',
      'VIOLATED  X',
      'replay:   npx diocheck repro --seed 1 --path 2',
      '```',
      '```yaml',
      '      - run: npm ci',
      '```',
    ].join('\n');
    expect(readmeCommands(md).map((c) => c.text)).toEqual([
      'npm run diocheck -- help',
      'npm run bench -- --quick',
      'npx diocheck explore [--bug NAME] [--crash]',
      'npx diocheck repro --seed 1 --path 2',
      'npm ci',
    ]);
  });

  it('matches a run only when budget, placeholders and optional groups are all that differ', () => {
    expect(sameCommand('npx diocheck run --time 60s', 'npx diocheck run --runs 20')).toBe(true);
    expect(sameCommand('npx diocheck repro FILE', 'npx diocheck repro a.json')).toBe(true);
    expect(
      sameCommand('npx diocheck hunt [--bug NAME] [--strict]', 'npx diocheck hunt --bug x --seeds 2'),
    ).toBe(true);
    expect(sameCommand('npx diocheck repro FILE', 'npx diocheck explain a.json')).toBe(false);
    expect(sameCommand('npx diocheck run --kernel 6.12.117', 'npx diocheck run --kernel seed')).toBe(false);
    expect(sameCommand('npx diocheck run', 'npx diocheck run --json x')).toBe(false);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, as the README writes it
    const shard = 'npx diocheck run --seed ${{ github.run_id }} --json out/shard-${{ matrix.shard }}.json';
    expect(sameCommand(shard, 'npx diocheck run --seed 7 --json out/shard-1.json')).toBe(true);
    expect(sameCommand(shard, 'npx diocheck run --seed 7 --json out/other-1.json')).toBe(false);
  });

  it('has an expectation for every command the README shows, and none for a command it no longer shows', () => {
    expect(distinct.filter((c) => EXPECTED[c] === undefined)).toEqual([]);
    expect(Object.keys(EXPECTED).filter((c) => !distinct.includes(c))).toEqual([]);
    const exempt = Object.values(EXPECTED).filter(isExempt);
    expect(exempt.length).toBeLessThanOrEqual(EXEMPT_MAX);
    for (const e of exempt) expect(e.exempt.length).toBeGreaterThan(20);
    for (const [readme, e] of Object.entries(EXPECTED)) {
      if (isExempt(e)) continue;
      const shown = readme.replace(/^npm ci && /, '');
      expect(sameCommand(shown, e.run), `${e.run} is not ${readme}`).toBe(true);
    }
  });

  const runnable = Object.entries(EXPECTED).filter((entry): entry is [string, Runs] => !isExempt(entry[1]));
  // Two commands at a time, started once: the machine has two cores and other test files too.
  let ran: Map<string, Promise<Shell>> | null = null;
  const resultOf = (readme: string): Promise<Shell> => {
    if (ran === null) {
      const done = new Map<string, (r: Shell) => void>();
      ran = new Map(runnable.map(([key]) => [key, new Promise<Shell>((resolve) => done.set(key, resolve))]));
      const pending = [...runnable];
      const worker = async (): Promise<void> => {
        for (let item = pending.shift(); item !== undefined; item = pending.shift())
          done.get(item[0])?.(await runOne(item[1]));
      };
      void Promise.all([worker(), worker()]);
    }
    return ran.get(readme) as Promise<Shell>;
  };
  const runOne = async (e: Runs): Promise<Shell> => {
    if (e.setup !== undefined) {
      mkdirSync(join(dir, 'shards/shard-1'), { recursive: true });
      mkdirSync(join(dir, 'shards/shard-2'), { recursive: true });
      const s = await shell(e.setup, dir);
      if (s.stderr !== '') return { ...s, stderr: `setup: ${s.stderr}` };
    }
    return shell(e.run, dir);
  };
  it.each(runnable)(
    '%s',
    async (readme, e) => {
      const r = await resultOf(readme);
      // npm's banner (`> diocheck@0.1.0 campaign`, `> tsx scripts/cli.ts run`) is not the command's.
      const firstOf = (text: string): string =>
        text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('> ')) ?? '';
      const first = firstOf(r.stdout) || firstOf(r.stderr);
      expect({ exit: r.code, first }, r.stderr.slice(0, 2000)).toEqual({
        exit: e.exit,
        first: expect.stringMatching(e.first),
      });
    },
    300_000,
  );
});
