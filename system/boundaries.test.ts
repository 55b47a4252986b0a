import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every .ts file under `dir`, node_modules and build output left out. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist') return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the system does not know the harness', () => {
  it('no file under system/ imports from harness/ (its lab tests and benchmarks live in harness/system)', () => {
    const root = new URL('.', import.meta.url).pathname;
    const offenders = sources(root).filter((f) => /(?:from|import)\s*\(?\s*['"][^'"]*\/harness\//.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
