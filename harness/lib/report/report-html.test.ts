import { describe, expect, it } from 'vitest';
import { imageLinks, renderHtml } from './report-html.ts';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect class="ok" width="10" height="10"/></svg>\n';

describe('renderHtml', () => {
  const md = [
    '# Report — run-1',
    '## Run',
    '| | |\n| --- | ---: |\n| commit | abc |\n| note | one \\| two |',
    '**All SLOs held**: 2 passed, `x<y` & co.',
    '`load`:\n\n```json\n{\n  "a": "<b>"\n}\n```',
    '![MTTR per experiment](raw/run-1/charts/mttr-distribution.svg)',
    '',
  ].join('\n\n');

  it('turns headings, tables, paragraphs, code and images into one page with the SVG inlined', () => {
    const html = renderHtml(md, new Map([['raw/run-1/charts/mttr-distribution.svg', SVG]]));
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<title>Report — run-1</title>');
    expect(html).toContain('<h2>Run</h2>');
    expect(html).toContain('<tr><td>commit</td><td class="r">abc</td></tr>');
    expect(html).toContain('<td class="r">one | two</td>');
    expect(html).toContain('<p><strong>All SLOs held</strong>: 2 passed, <code>x&lt;y</code> &amp; co.</p>');
    expect(html).toContain('<pre><code class="language-json">{\n  &quot;a&quot;: &quot;&lt;b&gt;&quot;\n}</code></pre>');
    expect(html).toContain('<figure>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect class="ok" width="10" height="10"/></svg>\n<figcaption>MTTR per experiment</figcaption>\n</figure>');
  });

  it('needs nothing from outside the file: no external references, scripts or stylesheets', () => {
    const html = renderHtml(md, new Map([['raw/run-1/charts/mttr-distribution.svg', SVG]]));
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/i);
    expect(html).toContain('<style>');
  });

  it('is the same bytes for the same markdown, and fails naming the link when a figure is missing', () => {
    const svgs = new Map([['raw/run-1/charts/mttr-distribution.svg', SVG]]);
    expect(renderHtml(md, svgs)).toBe(renderHtml(md, new Map(svgs)));
    expect(() => renderHtml(md, new Map())).toThrow(/raw\/run-1\/charts\/mttr-distribution\.svg/);
    expect(imageLinks(md)).toEqual(['raw/run-1/charts/mttr-distribution.svg']);
  });
});
