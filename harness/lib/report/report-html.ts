/**
 * The markdown report as one self-contained HTML page: the same text, tables and figures, the charts
 * inlined as SVG and the style inline, so the file can be mailed or archived alone and opens
 * without a network. Converts only the markdown report.ts writes (headings, paragraphs, tables,
 * fenced code, bold, code spans, images); pure, so the same report always gives the same bytes.
 */

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; vertical-align: top; }
th { background: #f2f2f2; }
td.r, th.r { text-align: right; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f4f4f4; padding: 0 .2rem; border-radius: 3px; }
pre { background: #f4f4f4; padding: .6rem; overflow-x: auto; font-size: .8rem; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { font-size: .85rem; color: #555; }
`.trim();

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Bold and code spans; the text is escaped first, and code spans are left alone by the bold rule. */
function inline(text: string): string {
  return escapeHtml(text)
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length >= 2
      ? `<code>${part.slice(1, -1)}</code>`
      : part.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')))
    .join('');
}

/** Cells of a `| a | b\| c |` row, with escaped pipes restored. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|\s?/, '').replace(/\s?\|$/, '').split(/\s\|\s/).map((c) => c.replace(/\\\|/g, '|').trim());
}

function table(lines: readonly string[]): string {
  const [head, sep, ...rows] = lines;
  const align = cells(sep).map((s) => (s.endsWith(':') ? ' class="r"' : ''));
  const tr = (cs: string[], tag: 'th' | 'td') => `<tr>${cs.map((c, i) => `<${tag}${align[i] ?? ''}>${inline(c)}</${tag}>`).join('')}</tr>`;
  return ['<table>', `<thead>${tr(cells(head), 'th')}</thead>`, '<tbody>', ...rows.map((r) => tr(cells(r), 'td')), '</tbody>', '</table>'].join('\n');
}

const IMAGE = /^!\[([^\]]*)\]\(([^)]+)\)$/;

function figure(alt: string, src: string, svgs: ReadonlyMap<string, string>): string {
  const svg = svgs.get(src);
  if (svg === undefined) throw new Error(`HTML report: the markdown links ${src}, but no SVG was given for it (have: ${[...svgs.keys()].join(', ') || 'none'})`);
  return `<figure>\n${svg.trim()}\n<figcaption>${escapeHtml(alt)}</figcaption>\n</figure>`;
}

/**
 * The HTML page of a markdown report. `svgs` maps every image link of the markdown (e.g.
 * `raw/<run-id>/charts/x.svg`) to the SVG text to inline; a link without one is an error, so a page
 * never ships with a hole where a figure should be.
 */
export function renderHtml(markdown: string, svgs: ReadonlyMap<string, string>): string {
  const lines = markdown.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let title = 'SwarmGuard experiment report';
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    if (line.trim() === '') { i++; continue; }
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      if (level === 1) title = heading[2];
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i++;
    } else if (line.startsWith('```')) {
      const end = lines.indexOf('```', i + 1);
      const stop = end === -1 ? lines.length : end;
      const lang = line.slice(3).trim();
      out.push(`<pre><code${lang ? ` class="language-${escapeHtml(lang)}"` : ''}>${escapeHtml(lines.slice(i + 1, stop).join('\n'))}</code></pre>`);
      i = stop + 1;
    } else if (line.startsWith('|')) {
      let j = i;
      while (j < lines.length && lines[j].startsWith('|')) j++;
      out.push(table(lines.slice(i, j)));
      i = j;
    } else if (IMAGE.test(line)) {
      const [, alt, src] = IMAGE.exec(line)!;
      out.push(figure(alt, src, svgs));
      i++;
    } else {
      // the first line is the paragraph's whatever it starts with, so the loop always moves on
      let j = i + 1;
      while (j < lines.length && lines[j].trim() !== '' && !/^(#{1,3} |```|\||!\[)/.test(lines[j])) j++;
      out.push(`<p>${lines.slice(i, j).map(inline).join('\n')}</p>`);
      i = j;
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    ...out,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The image links of a markdown report, in order. */
export function imageLinks(markdown: string): string[] {
  return markdown.split('\n').flatMap((l) => {
    const m = IMAGE.exec(l);
    return m ? [m[2]] : [];
  });
}
