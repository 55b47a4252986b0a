import { readdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const scripts = readdirSync('harness').filter((f) => f.endsWith('.mjs')).sort();

describe('harness entry scripts', () => {
  it('are the nine of the seed project plus lab and report', () => {
    for (const s of ['deploy', 'scenario1', 'scenario2', 'load', 'mttr', 'baseline', 'probe', 'cleanup', 'full-suite', 'lab', 'report']) {
      expect(scripts).toContain(`${s}.mjs`);
    }
  });

  for (const script of scripts) {
    it(`${script} --help prints its usage and exits 0`, { timeout: 40_000 }, async () => {
      const { stdout } = await run(process.execPath, [`harness/${script}`, '--help'], { timeout: 30_000 });
      expect(stdout).toMatch(/usage: /);
      expect(stdout).toMatch(/^Exit status: 0 .*; 2 a harness or lab error .*; 64 a usage error\.$/m);
    });

    it(`${script} rejects an unknown flag with exit code 64 (usage), naming it`, { timeout: 40_000 }, async () => {
      const err = await run(process.execPath, [`harness/${script}`, '--no-such-flag'], { timeout: 30_000 }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(64);
      expect(err?.stderr).toMatch(/no-such-flag/);
    });
  }
});
