/** Markdown table rows, as the spec checks read them (spec/seedIndex.ts, scripts/kernelHunks.ts). */

/** Splits `| a | b |` into cells; a `|` inside backticks or escaped as `\|` stays in its cell. */
export function splitRow(text: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let code = false;
  const body = text.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (c === '`') {
      code = !code;
      cell += c;
    } else if (c === '|' && !code) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  cells.push(cell.trim());
  return cells;
}
