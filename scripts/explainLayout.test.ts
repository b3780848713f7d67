/**
 * The explain page's timeline at the widths people read it at: in headless Chromium at 1,280 and
 * 1,920 px, the detail column keeps at least 20 characters on every row and the page needs no
 * horizontal scrolling. The page measures itself (a script added to a copy of it) and Chromium
 * prints the DOM (--dump-dom). Skipped, with the reason, where no Chromium is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capture } from './commandFixtures.ts';
import { explainFile } from './commands/explain.ts';

const TMP = mkdtempSync(join(tmpdir(), 'diocheck-layout-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A finding with a long timeline (power loss, journal, every lane). */
const FILE = 'properties/regressions/baseline/6.12.117/dur-01-world-xfs-get-pages-fault-power-loss.json';

function chromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return null;
}

const BROWSER = chromium();

/** Widths measured by the page itself, in CSS px. */
const MEASURE = `<script>
(function(){
  var cells = Array.prototype.slice.call(document.querySelectorAll('table.timeline td.detail'));
  var probe = document.createElement('span');
  probe.style.font = getComputedStyle(cells[0]).font;
  probe.textContent = 'x';
  document.body.appendChild(probe);
  var ch = probe.getBoundingClientRect().width;
  var min = Math.min.apply(null, cells.map(function(c){ return c.getBoundingClientRect().width; }));
  document.body.setAttribute('data-measured', JSON.stringify({
    rows: cells.length, detailChars: min / ch, scrollWidth: document.documentElement.scrollWidth
  }));
})();
</script>
</body>`;

function measure(html: string, width: number): { rows: number; detailChars: number; scrollWidth: number } {
  const page = join(TMP, `page-${width}.html`);
  writeFileSync(page, html.replace('</body>', MEASURE));
  const dom = execFileSync(
    BROWSER as string,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      `--window-size=${width},900`,
      '--dump-dom',
      `file://${page}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 },
  );
  const json = dom.match(/data-measured="([^"]*)"/)?.[1]?.replaceAll('&quot;', '"');
  if (json === undefined) throw new Error('the page did not measure itself');
  return JSON.parse(json);
}

describe('explain --html layout', () => {
  it.skipIf(BROWSER === null)(
    `the timeline is readable at 1,280 and 1,920 px${BROWSER === null ? ' (skipped: no chromium installed; apt-get install chromium)' : ''}`,
    () => {
      const out = join(TMP, 'page.html');
      expect(explainFile({ kind: 'explain', file: FILE, html: out }, capture())).toBe(0);
      const html = readFileSync(out, 'utf8');
      for (const width of [1280, 1920]) {
        const m = measure(html, width);
        expect(m.rows).toBeGreaterThan(20);
        expect(m.detailChars, `detail column at ${width} px`).toBeGreaterThanOrEqual(20);
        expect(m.scrollWidth, `page width at ${width} px`).toBeLessThanOrEqual(width);
      }
    },
    120_000,
  );
});
