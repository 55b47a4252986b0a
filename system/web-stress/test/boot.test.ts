import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The boot path of the image, on the built bundle: make the code cache, then start from it.
const dir = mkdtempSync(join(tmpdir(), 'ws-boot-'));
const run = (args: string[], port: number, untilHealthy: boolean) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; healthyMs?: number }>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(dir, 'main.cjs'), ...args], { env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    let healthyMs: number | undefined;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr, healthyMs }));
    if (untilHealthy) {
      const poll = async () => {
        for (let i = 0; i < 200; i += 1) {
          const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
          if (ok) {
            healthyMs = performance.now() - started;
            child.kill('SIGTERM');
            return;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
        child.kill('SIGKILL');
      };
      void poll();
    }
  });

beforeAll(async () => {
  await build({ entryPoints: ['system/web-stress/src/main.ts'], outfile: join(dir, 'app.cjs'), bundle: true, platform: 'node', format: 'cjs', logLevel: 'error' });
  await build({ entryPoints: ['system/web-stress/src/boot.ts'], outfile: join(dir, 'main.cjs'), bundle: true, platform: 'node', format: 'cjs', logLevel: 'error' });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('web-stress boot (main.cjs)', () => {
  it('starts without a code cache, then makes one that the next start accepts', async () => {
    const plain = await run([], 18_171, true);
    expect(plain.healthyMs, plain.stderr).toBeDefined();
    expect(plain.code).toBe(0); // SIGTERM: graceful shutdown

    const made = await run(['--make-code-cache'], 18_172, false);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/code cache of \d+ bytes written/);
    expect(statSync(join(dir, 'app.cjs.v8cache')).size).toBeGreaterThan(100_000);

    const cached = await run([], 18_173, true);
    expect(cached.healthyMs, cached.stderr).toBeDefined();
    expect(cached.stderr).not.toMatch(/made by another node/);
    expect(cached.code).toBe(0);
  }, 60_000);
});
