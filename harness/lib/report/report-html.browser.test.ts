import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages } from '../../lab/host-tools.ts';
import { countColour, decodePng, inkShare } from './png-check.ts';
import { FIXTURE_RUN_ID, makeFixtureJournal } from './report-fixture.ts';
import { writeReport } from './report-files.ts';

// The HTML report opened in a real browser: headless Chromium from Debian, installed here when missing
// (root and apt needed; a failed install fails every test below with apt's reason, never a skip).
const CHROMIUM = '/usr/bin/chromium';
/** Kept after the run (overwritten by the next) so the screenshot can be looked at. */
const SCREENSHOT_DIR = path.join(os.tmpdir(), 'swarmguard-report-browser');
const WIDTH = 1280;
const HEIGHT = 7000;

const run = promisify(execFile);

async function chromium(args: readonly string[]): Promise<string> {
  // --no-sandbox: the test runs as root, where Chromium's sandbox refuses to start
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--no-first-run', '--mute-audio'];
  try {
    const { stdout } = await run(CHROMIUM, [...base, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`chromium ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
  }
}

let root: string;
let html: string;

beforeAll(async () => {
  await ensureDebianPackages({ chromium: CHROMIUM });
  root = await mkdtemp(path.join(os.tmpdir(), 'report-browser-'));
  const journal = await makeFixtureJournal(path.join(root, 'raw'));
  await writeReport(journal.dir);
  html = path.join(root, `${FIXTURE_RUN_ID}.html`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
}, 900_000);
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the HTML report in headless Chromium', () => {
  it('has every figure in the DOM the browser built: the distributions, medians, CIs and the phase bars', async () => {
    const dom = await chromium(['--dump-dom', pathToFileURL(html).href]);
    const count = (s: string) => dom.split(s).length - 1;
    expect(count('<svg ')).toBe(4);
    expect(count('<figure>')).toBe(4);
    expect(count('class="dist-group"')).toBe(6); // baseline, scenario1, scenario2 in MTTR and downtime
    expect(count('class="dist-point"')).toBeGreaterThanOrEqual(16);
    expect(count('class="dist-median"')).toBe(6);
    expect(count('class="phase"')).toBe(12);
    expect(dom).toContain('Mann–Whitney U');
  }, 90_000);

  it('paints the page with the figures in it: ink on the page, the reactive red and the proactive blue', async () => {
    const png = path.join(SCREENSHOT_DIR, `${FIXTURE_RUN_ID}.png`);
    await rm(png, { force: true });
    await chromium([`--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${png}`, pathToFileURL(html).href]);
    const bytes = await readFile(png);
    expect(bytes.length).toBeGreaterThan(50_000);
    const img = decodePng(bytes);
    expect([img.width, img.height]).toEqual([WIDTH, HEIGHT]);
    expect(inkShare(img)).toBeGreaterThan(0.02);
    // the distribution figures' dots and CI bands: reactive #d62728, proactive #1f77b4
    expect(countColour(img, '#d62728')).toBeGreaterThan(100);
    expect(countColour(img, '#1f77b4')).toBeGreaterThan(100);
    // the same measures of an empty page, so the thresholds above are known to tell the two apart
    const emptyHtml = path.join(root, 'empty.html');
    const emptyPng = path.join(root, 'empty.png');
    await writeFile(emptyHtml, '<!DOCTYPE html><html><body></body></html>\n');
    await chromium([`--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${emptyPng}`, pathToFileURL(emptyHtml).href]);
    expect(inkShare(decodePng(await readFile(emptyPng)))).toBeLessThan(0.001);
  }, 120_000);
});
