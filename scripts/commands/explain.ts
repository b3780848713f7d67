/**
 * `diocheck explain FILE [--html OUT]`: a replay file's timeline, as `repro` prints it, and its
 * causal core; with --html, one self-contained page (inline CSS and JS, no external URL) that
 * draws the timeline in swim lanes with the state after each step.
 *
 * The causal core: for each recorded choice that deviates from the uneventful option 0, the run is
 * repeated with only that choice set back to 0 (ArrayChoices over the recorded values, that index
 * zeroed; later questions may then differ, which ArrayChoices allows). A deviation *matters* when
 * the recorded invariant no longer fails without it, and is *free* when it still fails. Then all
 * free deviations are zeroed at once, to say whether the deviations that matter suffice together.
 *
 * The state columns of the page are derived from the trace alone: bios in flight (submit_bio to
 * bio_endio), the sectors a write left in the volatile cache (a clean write without FUA on a
 * write-back cache, until a flush, a destage or power loss; a torn failed write is not shown), and
 * the last log write of the journal.
 *
 * Exit status: 0 once the explanation is printed (whatever the verdict), 2 bad input, 3 when the
 * replay diverged from its recording or the model threw.
 */
import { writeFileSync } from 'node:fs';
import { ArrayChoices, ReplayDivergence } from '../../model/runtime/choice.ts';
import type { TraceEntry } from '../../model/runtime/trace.ts';
import type { RunResult } from '../../model/world/run.ts';
import { runScenario } from '../../model/world/run.ts';
import { formatFaultProfile } from '../../properties/arbitraries/faults.ts';
import { invariantById, makeProbe } from '../../properties/invariants/registry.ts';
import {
  modelVersion,
  readReplayFile,
  type ReplayFile,
  replayWorld,
  replayRun,
} from '../../properties/replay/replayFile.ts';
import { type ExplainCommand, UsageError } from './args.ts';
import { formatRunDetails, formatScenarioJson, verdictLine } from './campaign.ts';
import { xmlEscape } from './junit.ts';
import type { Output } from './output.ts';
import { EXIT_MODEL_ERROR, EXIT_PASS, prepareOutput } from './run.ts';
import { DIOCHECK } from './invocation.ts';

// ---------------------------------------------------------------------------------------------
// The causal core.

export interface Deviation {
  /** Index in the decision log. */
  readonly index: number;
  readonly label: string;
  readonly n: number;
  readonly value: number;
  /** Does the recorded invariant still fail with this choice set back to 0? */
  readonly matters: boolean;
  /** What the run does without it: `passes`, `violates X`, `bound ...`, `throws ...`. */
  readonly without: string;
}

export interface CausalCore {
  /** The invariant the core is about (what the replay violates now); null when it passes. */
  readonly invariant: string | null;
  readonly deviations: readonly Deviation[];
  /** With every free deviation zeroed at once: does the invariant still fail? null if none free. */
  readonly coreAlone: string | null;
  readonly coreAloneFails: boolean | null;
}

/** One run of the file's scenario over plain values (the correct model, every checker on). */
function runValues(
  file: ReplayFile,
  values: readonly number[],
): { outcome: string; invariant: string | null } {
  let r: RunResult;
  try {
    r = runScenario(file.scenario, {
      source: new ArrayChoices(values),
      faults: file.faults,
      probe: makeProbe(),
      ...replayWorld(file),
    });
  } catch (e) {
    return { outcome: `throws: ${(e as Error).message.split('\n', 1)[0]}`, invariant: null };
  }
  if (r.violation !== null)
    return { outcome: `violates ${r.violation.invariant}`, invariant: r.violation.invariant };
  if (r.bound !== null) return { outcome: `bound ${r.bound.bound}`, invariant: null };
  return { outcome: 'passes', invariant: null };
}

export function causalCore(file: ReplayFile, result: RunResult): CausalCore {
  const invariant = result.violation?.invariant ?? null;
  if (invariant === null) return { invariant, deviations: [], coreAlone: null, coreAloneFails: null };
  const values = file.choices.map((c) => c.value);
  const deviations: Deviation[] = [];
  file.choices.forEach((c, index) => {
    if (c.value === 0) return;
    const zeroed = values.slice();
    zeroed[index] = 0;
    const run = runValues(file, zeroed);
    deviations.push({
      index,
      label: c.label,
      n: c.n,
      value: c.value,
      matters: run.invariant !== invariant,
      without: run.outcome,
    });
  });
  const free = deviations.filter((d) => !d.matters);
  if (free.length === 0) return { invariant, deviations, coreAlone: null, coreAloneFails: null };
  const core = values.slice();
  for (const d of free) core[d.index] = 0;
  const run = runValues(file, core);
  return { invariant, deviations, coreAlone: run.outcome, coreAloneFails: run.invariant === invariant };
}

/** The line on zeroing every free deviation at once. */
function coreAloneText(core: CausalCore): string {
  const keep = core.deviations.filter((d) => d.matters).length;
  if (keep === 0)
    return `no deviation matters on its own; with all of them zeroed together: ${core.coreAlone}${core.coreAloneFails ? '' : ' (they matter together)'}`;
  return `with only the ${keep} that matter (every free one zeroed): ${core.coreAlone}${core.coreAloneFails ? '' : ' (the free ones are not free together)'}`;
}

export function formatCausalCore(core: CausalCore): string {
  if (core.invariant === null) return 'causal core: the run passes now, so there is no failure to explain';
  const lines = [`causal core of ${core.invariant}: each deviating choice set back to 0 on its own`];
  if (core.deviations.length === 0) lines.push('  (no choice deviates from 0: the plain run fails)');
  for (const d of core.deviations) {
    const tag = d.matters ? 'MATTERS' : 'free   ';
    lines.push(`  ${tag} #${d.index} ${d.label}=${d.value}/${d.n}  without it: ${d.without}`);
  }
  if (core.coreAlone !== null) lines.push(`  ${coreAloneText(core)}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Lanes and the state derived from the trace.

export const LANES = [
  { id: 'task', title: 'submitting tasks' },
  { id: 'irq', title: 'bio completions (irq)' },
  { id: 'wq', title: 'workqueue and issuer' },
  { id: 'cache', title: 'device cache' },
  { id: 'media', title: 'media' },
  { id: 'journal', title: 'journal' },
] as const;
export type LaneId = (typeof LANES)[number]['id'];

const MEDIA_EVENTS = new Set(['blkdev_issue_flush', 'destage', 'power_loss']);
const JOURNAL_EVENTS = new Set([
  'xlog_write',
  'xfs_setfilesize',
  'xfs_iomap_write_unwritten',
  'xfs_reflink_end_cow',
  'xfs_iomap_alloc',
]);

/** The lane of one trace entry: by what it does to the device or journal, else by who ran it. */
export function laneOf(e: TraceEntry): LaneId {
  if (MEDIA_EVENTS.has(e.event)) return 'media';
  if (JOURNAL_EVENTS.has(e.event) || e.event.startsWith('xlog_')) return 'journal';
  if (e.context === 'device') return 'cache';
  if (/^bio\d+$/.test(e.context)) return 'irq';
  if (e.context.startsWith('task') || e.context === 'world') return 'task';
  return 'wq';
}

export interface StepState {
  readonly inFlight: readonly string[];
  readonly cacheSectors: number;
  readonly journal: string;
}

interface BioInfo {
  readonly sector: number;
  readonly size: number;
  readonly opf: string;
}

/** The state after each trace entry (see the header for what is derived and how). */
export function deriveStates(trace: readonly TraceEntry[], device: { writeCache: boolean }): StepState[] {
  const bios = new Map<string, BioInfo>();
  const inFlight: string[] = [];
  const cache = new Set<number>();
  let journal = '-';
  return trace.map((e) => {
    if (e.event === 'submit_bio') {
      const m = /^(bio\d+) sector 0x([0-9a-f]+) size (\d+) opf (\S+)/.exec(e.detail);
      if (m !== null) {
        const name = m[1] as string;
        bios.set(name, {
          sector: Number.parseInt(m[2] as string, 16),
          size: Number(m[3]),
          opf: m[4] as string,
        });
        inFlight.push(name);
      }
    } else if (e.event === 'bio_endio') {
      const m = /^(bio\d+) status (\d+)/.exec(e.detail);
      const name = m?.[1] ?? '';
      const at = inFlight.indexOf(name);
      if (at !== -1) inFlight.splice(at, 1);
      const bio = bios.get(name);
      const ok = m?.[2] === '0';
      const opf = bio?.opf.split('|') ?? [];
      if (bio !== undefined && ok && opf[0] === 'WRITE' && device.writeCache && !opf.includes('FUA')) {
        for (let s = bio.sector; s < bio.sector + (bio.size >> 9); s++) cache.add(s);
      }
      if (bio !== undefined && ok && opf[0] === 'WRITE' && opf.includes('FUA')) {
        for (let s = bio.sector; s < bio.sector + (bio.size >> 9); s++) cache.delete(s);
      }
    } else if (e.event === 'blkdev_issue_flush' || e.event === 'power_loss') {
      cache.clear();
      if (e.event === 'power_loss') inFlight.length = 0;
    } else if (e.event === 'destage') {
      const m = /sectors 0x([0-9a-f]+)\+(\d+)/.exec(e.detail);
      if (m !== null) {
        const first = Number.parseInt(m[1] as string, 16);
        for (let s = first; s < first + Number(m[2]); s++) cache.delete(s);
      }
    } else if (e.event === 'xlog_write') {
      journal = e.detail;
    }
    return { inFlight: inFlight.slice(), cacheSectors: cache.size, journal };
  });
}

// ---------------------------------------------------------------------------------------------
// The HTML page.

const CSS = `
:root{--task:#dbeafe;--irq:#fee2e2;--wq:#ede9fe;--cache:#fef3c7;--media:#dcfce7;--journal:#e0f2fe;--matters:#dc2626;--free:#9ca3af}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#111827;background:#fff}
header{padding:16px 24px;background:#111827;color:#f9fafb}
header h1{margin:0 0 4px;font-size:20px}
header .verdict{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;margin:4px 0 0}
header .verdict.fail{color:#fca5a5} header .verdict.pass{color:#86efac}
main{padding:8px 24px 32px}
h2{font-size:16px;margin:20px 0 8px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.facts dt{font-weight:600} dl.facts dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace}
table{border-collapse:collapse}
table.core td,table.core th,table.results td,table.results th{border:1px solid #e5e7eb;padding:3px 8px;text-align:left}
.tag{display:inline-block;padding:0 6px;border-radius:4px;font-weight:600;font-size:12px;color:#fff}
.tag.matters{background:var(--matters)} .tag.free{background:var(--free)}
.controls{margin:6px 0;display:flex;flex-wrap:wrap;gap:12px}
.controls label{white-space:nowrap}
.legend{display:inline-block;width:12px;height:12px;border:1px solid #9ca3af;vertical-align:middle;margin-right:4px}
table.timeline{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;width:100%}
table.timeline th{position:sticky;top:0;background:#f3f4f6;border-bottom:2px solid #9ca3af;padding:4px;text-align:left;font-family:system-ui,sans-serif;font-size:12px;z-index:1}
table.timeline td{border-bottom:1px solid #f3f4f6;padding:2px 4px;vertical-align:top}
table.timeline td.detail{min-width:22em;max-width:34em;word-break:break-word}
td.lane{min-width:6em;max-width:12em;border-left:1px solid #e5e7eb;overflow-wrap:anywhere}
@media (min-width:1600px){td.lane{min-width:12em;white-space:nowrap}}
td.lane.on{font-weight:600;border-left:3px solid #374151}
td.lane-task,th.lane-task{background:var(--task)} td.lane-irq,th.lane-irq{background:var(--irq)}
td.lane-wq,th.lane-wq{background:var(--wq)} td.lane-cache,th.lane-cache{background:var(--cache)}
td.lane-media,th.lane-media{background:var(--media)} td.lane-journal,th.lane-journal{background:var(--journal)}
td.lane:not(.on){background-image:linear-gradient(rgba(255,255,255,.72),rgba(255,255,255,.72))}
td.state{color:#374151;border-left:1px solid #e5e7eb;max-width:14em;overflow-wrap:anywhere}
tr.dev-matters td{box-shadow:inset 0 2px 0 var(--matters),inset 0 -2px 0 var(--matters)}
tr.dev-matters td.event{color:var(--matters);font-weight:700}
tr.dev-free td.event{color:var(--free)}
tr.violation td{background:#fecaca;font-weight:700}
tr.selected td{outline:2px solid #2563eb}
tr.hidden{display:none}
pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;overflow:auto;font-size:12px}
#state-panel{position:sticky;bottom:0;background:#f9fafb;border-top:2px solid #9ca3af;padding:6px 24px;font:12px ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap}
`;

const SCRIPT = `
(function(){
  var boxes=document.querySelectorAll('input[data-lane]');
  function apply(){
    var on={};boxes.forEach(function(b){on[b.dataset.lane]=b.checked;});
    document.querySelectorAll('table.timeline tbody tr').forEach(function(tr){
      var lane=tr.dataset.lane;
      tr.classList.toggle('hidden',lane!=='all'&&!on[lane]);
    });
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  var panel=document.getElementById('state-panel');
  document.querySelectorAll('table.timeline tbody tr').forEach(function(tr){
    tr.addEventListener('click',function(){
      document.querySelectorAll('tr.selected').forEach(function(s){s.classList.remove('selected');});
      tr.classList.add('selected');
      panel.textContent='step '+tr.dataset.step+'  '+tr.dataset.context+'  '+tr.dataset.event+'\\n'+tr.dataset.state;
    });
  });
})();
`;

const esc = xmlEscape;

interface HtmlInput {
  readonly path: string;
  readonly file: ReplayFile;
  readonly result: RunResult;
  readonly core: CausalCore;
  readonly version: string;
}

function stateText(s: StepState): string {
  return `in flight: ${s.inFlight.length === 0 ? 'none' : s.inFlight.join(' ')}; cache: ${s.cacheSectors} sector(s) not on media; journal: ${s.journal}`;
}

function timelineRows(input: HtmlInput): string[] {
  const { result, core } = input;
  const states = deriveStates(result.trace, input.file.scenario.device);
  // The k-th `choice` event is the k-th nonzero entry of the decision log.
  const nonzero = result.choiceLog.map((c, i) => ({ c, i })).filter(({ c }) => c.value !== 0);
  const byIndex = new Map(core.deviations.map((d) => [d.index, d]));
  let k = 0;
  const rows = result.trace.map((e, i) => {
    const lane = laneOf(e);
    const state = states[i] ?? { inFlight: [], cacheSectors: 0, journal: '-' };
    let cls = '';
    let event = e.event;
    if (e.event === 'choice') {
      const at = nonzero[k++];
      const d = at === undefined ? undefined : byIndex.get(at.i);
      if (at !== undefined) event = `choice #${at.i}`;
      if (d !== undefined) cls = d.matters ? 'dev-matters' : 'dev-free';
      if (d !== undefined) event += d.matters ? ' [matters]' : ' [free]';
    }
    const laneCells = LANES.map((l) =>
      l.id === lane
        ? `<td class="lane lane-${l.id} on">${esc(event)}</td>`
        : `<td class="lane lane-${l.id}"></td>`,
    ).join('');
    const attrs = `data-lane="${lane}" data-step="${e.step}" data-context="${esc(e.context)}" data-event="${esc(event)}" data-state="${esc(stateText(state))}"`;
    return (
      `<tr class="${cls}" ${attrs}><td>${e.step}</td><td>${esc(e.context)}</td><td>${e.line > 0 ? `L${e.line}` : ''}</td>` +
      `<td class="event">${esc(event)}</td><td class="detail">${esc(e.detail)}</td>${laneCells}` +
      `<td class="state">${esc(state.inFlight.join(' ') || '-')}</td><td class="state">${state.cacheSectors}</td><td class="state">${esc(state.journal)}</td></tr>`
    );
  });
  const v = result.violation;
  if (v !== null) {
    const last = states[states.length - 1] ?? { inFlight: [], cacheSectors: 0, journal: '-' };
    rows.push(
      `<tr class="violation" data-lane="all" data-step="${result.steps}" data-context="${esc(v.context)}" data-event="VIOLATED ${esc(v.invariant)}" data-state="${esc(stateText(last))}">` +
        `<td>${result.steps}</td><td>${esc(v.context)}</td><td>${v.seedLine > 0 ? `L${v.seedLine}` : ''}</td>` +
        `<td class="event">VIOLATED ${esc(v.invariant)}</td><td class="detail" colspan="${1 + LANES.length + 3}">${esc(v.message)}</td></tr>`,
    );
  }
  return rows;
}

function coreSection(core: CausalCore): string {
  if (core.invariant === null) return '<p>The run passes now: there is no failure to explain.</p>';
  if (core.deviations.length === 0)
    return '<p>No choice deviates from 0: the plain run (every choice uneventful) fails.</p>';
  const rows = core.deviations.map(
    (d) =>
      `<tr><td>#${d.index}</td><td>${esc(d.label)}</td><td>${d.value}/${d.n}</td>` +
      `<td><span class="tag ${d.matters ? 'matters' : 'free'}">${d.matters ? 'matters' : 'free'}</span></td><td>${esc(d.without)}</td></tr>`,
  );
  const alone = core.coreAlone === null ? '' : `<p>${esc(coreAloneText(core))}.</p>`;
  return (
    `<p>Each choice that deviates from the uneventful option 0 was set back to 0 on its own and the run repeated: ` +
    `a deviation <span class="tag matters">matters</span> when ${esc(core.invariant)} no longer fails without it, ` +
    `and is <span class="tag free">free</span> when it still fails.</p>` +
    `<table class="core"><thead><tr><th>choice</th><th>label</th><th>value/n</th><th>verdict</th><th>without it</th></tr></thead><tbody>${rows.join('')}</tbody></table>${alone}`
  );
}

function resultsSection(result: RunResult): string {
  const rows = result.requests.map((r) => {
    const c = r.completions[0];
    return `<tr><td>req${r.id}</td><td>task${r.thread + 1}</td><td>${esc(`${r.op.kind} pos ${r.op.pos} len ${r.op.len}${r.op.async ? ' async' : ''}${r.op.iocbFlags?.length ? ` ${r.op.iocbFlags.join('|')}` : ''}`)}</td><td>${r.returned ?? '-'}</td><td>${c === undefined ? '-' : `${c.res} in ${esc(c.context)} at step ${c.step}`}</td></tr>`;
  });
  for (const s of result.syncs)
    rows.push(
      `<tr><td>req${s.id}</td><td>task${s.thread + 1}</td><td>${s.op.kind}</td><td>${s.returned ?? '-'}</td><td>-</td></tr>`,
    );
  for (const f of result.fileOps)
    rows.push(
      `<tr><td>req${f.id}</td><td>task${f.thread + 1}</td><td>${esc(JSON.stringify(f.op))}</td><td>${f.returned ?? '-'}</td><td>-</td></tr>`,
    );
  const crash =
    result.crash === null
      ? '<p>No power loss.</p>'
      : `<p>Power lost at step ${result.crash.step}; ${result.crash.recovered === null ? 'no filesystem recovery (scripted provider)' : `log recovery found i_size ${result.crash.recovered.size} (log durable through seq ${result.crash.recovered.durableSeq})`}.</p>`;
  return `<table class="results"><thead><tr><th>request</th><th>thread</th><th>operation</th><th>returned</th><th>result delivered</th></tr></thead><tbody>${rows.join('')}</tbody></table>${crash}`;
}

/** The self-contained page. */
export function explainHtml(input: HtmlInput): string {
  const { file, result, core } = input;
  const verdict = verdictLine(result, null);
  const fails = result.outcome !== 'pass';
  const inv = invariantById(file.invariant);
  const deviating = result.choiceLog.filter((c) => c.value !== 0).length;
  const lanes = LANES.map(
    (l) =>
      `<label><input type="checkbox" data-lane="${l.id}" checked> <span class="legend" style="background:var(--${l.id})"></span>${esc(l.title)}</label>`,
  ).join('');
  const laneHeads = LANES.map((l) => `<th class="lane-${l.id}">${esc(l.title)}</th>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>diocheck explain: ${esc(input.path)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>diocheck explain: ${esc(input.path)}</h1>
<p class="verdict ${fails ? 'fail' : 'pass'}">${esc(verdict)}</p>
</header>
<main>
<section id="facts">
<h2>Replay</h2>
<dl class="facts">
<dt>recorded</dt><dd>${esc(file.invariant)}${inv === undefined ? '' : ` ${esc(inv.name)}: ${esc(inv.statement)}`}</dd>
<dt>recorded with</dt><dd>diocheck ${esc(file.modelVersion)} (this is ${esc(input.version)})</dd>
${file.name === undefined ? '' : `<dt>name</dt><dd>${esc(file.name)}</dd>`}
${file.expect === undefined ? '' : `<dt>expect</dt><dd>${esc(file.expect)}</dd>`}
${file.note === undefined ? '' : `<dt>note</dt><dd>${esc(file.note)}</dd>`}
<dt>faults</dt><dd>${esc(formatFaultProfile(file.faults))}</dd>
<dt>choices</dt><dd>${result.choiceLog.length} asked, ${deviating} deviating from 0</dd>
<dt>run</dt><dd>${result.steps} steps, ${result.trace.length} trace events, outcome ${result.outcome}</dd>
<dt>replay</dt><dd>${DIOCHECK} repro ${esc(input.path)}</dd>
</dl>
</section>
<section id="causal-core">
<h2>Causal core</h2>
${coreSection(core)}
</section>
<section id="timeline">
<h2>Timeline</h2>
<p>One row per trace event, in order; each event sits in its swim lane. The last three columns are the state after the event, derived from the trace: bios in flight, sectors a write left in the volatile cache and not yet on media, and the last log write. Click a row to pin its state below.</p>
<div class="controls">${lanes}</div>
<table class="timeline">
<thead><tr><th>step</th><th>context</th><th>line</th><th>event</th><th>detail</th>${laneHeads}<th>in flight</th><th>cache</th><th>journal</th></tr></thead>
<tbody>
${timelineRows(input).join('\n')}
</tbody>
</table>
</section>
<section id="results">
<h2>Results</h2>
${resultsSection(result)}
</section>
<section id="scenario">
<h2>Scenario</h2>
<pre>${esc(formatScenarioJson(file.scenario))}</pre>
</section>
</main>
<div id="state-panel">Click a row of the timeline to see the state after it.</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// The command.

export function loadReplay(path: string): ReplayFile {
  try {
    return readReplayFile(path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Replays a file; a divergence or a model exception is reported and gives null. */
export function replayOrReport(path: string, file: ReplayFile, out: Output): RunResult | null {
  try {
    return replayRun(file);
  } catch (e) {
    if (e instanceof ReplayDivergence) {
      out.err(`diocheck: ${e.message} (the model changed since ${path} was recorded)`);
      return null;
    }
    out.line(verdictLine(null, e));
    return null;
  }
}

export function explainFile(cmd: ExplainCommand, out: Output): number {
  const file = loadReplay(cmd.file);
  if (cmd.html !== null) prepareOutput(cmd.html, '--html');
  out.line(`explain ${cmd.file}`);
  const note = file.note === undefined ? '' : ` (${file.note})`;
  out.line(`recorded: ${file.invariant} with diocheck ${file.modelVersion}${note}`);
  const version = modelVersion();
  if (version !== file.modelVersion) out.line(`note:     this is diocheck ${version}`);
  const result = replayOrReport(cmd.file, file, out);
  if (result === null) return EXIT_MODEL_ERROR;
  out.line(verdictLine(result, null));
  out.line(formatRunDetails(file.scenario, file.faults, result));
  const core = causalCore(file, result);
  out.line(formatCausalCore(core));
  if (cmd.html !== null) {
    const html = explainHtml({ path: cmd.file, file, result, core, version });
    try {
      writeFileSync(cmd.html, html);
    } catch (e) {
      throw new UsageError(
        `cannot write --html ${cmd.html}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    out.line(`html:     ${cmd.html}`);
  }
  return EXIT_PASS;
}
