import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLoadLog, planRates, rateSchedule, renderLoadScript, shQuote } from './load-script.ts';

const run = promisify(execFile);

describe('rateSchedule', () => {
  it('ramps linearly up, holds and ramps down, the total being the area under the ramp', () => {
    expect(rateSchedule({ peakRps: 30, rampUpS: 3, holdS: 2, rampDownS: 3 })).toEqual([5, 15, 25, 30, 30, 25, 15, 5]);
    expect(rateSchedule({ peakRps: 10, rampUpS: 0, holdS: 2, rampDownS: 2 })).toEqual([10, 10, 8, 3]);
    const long = rateSchedule({ peakRps: 100, rampUpS: 60, holdS: 0, rampDownS: 0 });
    expect(Math.abs(long.reduce((a, b) => a + b, 0) - 3000)).toBeLessThanOrEqual(30); // rounding only
    expect(long.every((r, i) => i === 0 || r >= long[i - 1])).toBe(true);
  });

  it('rejects unbounded or fractional plans with the value', () => {
    expect(() => rateSchedule({ peakRps: 0, rampUpS: 1, holdS: 1, rampDownS: 1 })).toThrow(/peakRps must be an integer in 1..2000, got 0/);
    expect(() => rateSchedule({ peakRps: 5, rampUpS: 1.5, holdS: 1, rampDownS: 1 })).toThrow(/rampUpS .* got 1.5/);
  });
});

describe('planRates', () => {
  it('takes an explicit schedule, as the script does', () => {
    expect(planRates({ rates: [0, 2, 3] })).toEqual([0, 2, 3]);
    expect(() => planRates({ rates: [1, -1] })).toThrow(/rates\[1\] must be an integer in 0..2000, got -1/);
    const script = renderLoadScript({ rates: [0, 2, 4], url: 'http://127.0.0.1:9/x', maxDurationS: 10, logFile: '/tmp/l', pidFile: '/tmp/p' });
    expect(script).toContain("SCHEDULE='0 2 4'");
    expect(script).toContain('6 requests over 3 s, peak 4 rps');
  });
});

describe('renderLoadScript', () => {
  const plan = { url: 'http://127.0.0.1:9/compute/pi?iterations=1000', peakRps: 10, rampUpS: 5, holdS: 100, rampDownS: 5, maxDurationS: 8, logFile: '/tmp/l', pidFile: '/tmp/p' };

  it('embeds the schedule cut at the hard maximum, and quotes the target', () => {
    const script = renderLoadScript(plan);
    expect(script).toContain("SCHEDULE='1 3 5 7 9 10 10 10'");
    expect(script).toContain('PHASE=0 ');
    expect(renderLoadScript({ ...plan, phase: 0.5 })).toContain('PHASE=500 ');
    expect(() => renderLoadScript({ ...plan, phase: 1 })).toThrow(/phase must be in \[0, 1\), got 1/);
    expect(script).toContain("URL='http://127.0.0.1:9/compute/pi?iterations=1000'");
    expect(script).toContain('MAX_MS=8000');
    expect(renderLoadScript(plan)).toBe(script);
  });

  it('refuses non-http targets and quotes shell metacharacters', () => {
    expect(() => renderLoadScript({ ...plan, url: 'file:///etc/passwd' })).toThrow(/http\(s\), got file/);
    expect(shQuote("a'b $(x)")).toBe(`'a'\\''b $(x)'`);
  });
});

describe('parseLoadLog', () => {
  it('gives per-second achieved rate and failures, filling empty seconds', () => {
    const log = ['1000000000100 200 5', '1000000000900 503 7', '1000000002000 0 2000', 'garbage', '1000000002500 200 3', ''].join('\n');
    const s = parseLoadLog(log);
    expect(s.perSecond).toEqual([
      { second: 1000000000, sent: 2, ok: 1, failed: 1, meanLatencyMs: 6 },
      { second: 1000000001, sent: 0, ok: 0, failed: 0, meanLatencyMs: null },
      { second: 1000000002, sent: 2, ok: 1, failed: 1, meanLatencyMs: 1001.5 },
    ]);
    expect(s).toMatchObject({ sent: 4, ok: 2, failed: 2, malformed: 1 });
    expect(parseLoadLog('').perSecond).toEqual([]);
  });

  it('counts a damaged timestamp as malformed instead of filling billions of empty seconds', () => {
    const s = parseLoadLog('1763840000123 200 5\n763840000200 200 5\n');
    expect(s).toMatchObject({ sent: 1, malformed: 1 });
    expect(s.perSecond).toHaveLength(1);
    expect(() => parseLoadLog('1763840000123 200 5\n1000000000000 200 5\n')).toThrow(/load log spans \d+ s/);
  });
});

describe('the generated script, run by sh against 127.0.0.1', () => {
  let dir: string;
  let server: http.Server;
  let paths: string[];
  let url: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'load-'));
    paths = [];
    server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      // every 4th request fails, so the status parsing is exercised
      res.writeHead(paths.length % 4 === 0 ? 503 : 200).end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/compute/pi?iterations=10`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  async function runScript(shell: string[], env: NodeJS.ProcessEnv): Promise<string> {
    const logFile = path.join(dir, 'load.log');
    const pidFile = path.join(dir, 'load.pid');
    const script = path.join(dir, 'load.sh');
    await writeFile(script, renderLoadScript({ url, peakRps: 8, rampUpS: 1, holdS: 1, rampDownS: 1, maxDurationS: 10, logFile, pidFile }));
    const started = Date.now();
    await run(shell[0], [...shell.slice(1), script], { env, timeout: 15_000 });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(existsSync(pidFile)).toBe(false);
    return readFile(logFile, 'utf8');
  }

  function expectRun(log: string): void {
    const s = parseLoadLog(log);
    expect(s.sent).toBe(16); // 4 + 8 + 4
    expect(s.malformed).toBe(0);
    expect(s.failed).toBe(4);
    expect(paths).toHaveLength(16);
    expect(new Set(paths)).toEqual(new Set(['/compute/pi?iterations=10'])); // only ever the given target
    expect(s.perSecond.length).toBeGreaterThanOrEqual(3);
    expect(s.perSecond.length).toBeLessThanOrEqual(4);
    const statuses = new Set(log.trim().split('\n').map((l) => l.split(' ')[1]));
    expect(statuses).toEqual(new Set(['200', '503']));
  }

  it('works with sh and curl', async () => {
    expectRun(await runScript(['sh'], process.env));
  }, 20_000);

  it('works with bash through its /dev/tcp, with no curl on the PATH', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    // only what the bash path may use: a curl or date call would fail, and every request with it
    for (const tool of ['bash', 'sleep', 'cat', 'timeout', 'rm', 'mv', 'grep', 'date']) {
      const real = (await run('sh', ['-c', `command -v ${tool}`])).stdout.trim();
      await symlink(real, path.join(bin, tool));
    }
    await writeFile(path.join(bin, 'curl'), '#!/bin/sh\nexit 99\n', { mode: 0o755 });
    expectRun(await runScript([path.join(bin, 'bash')], { PATH: bin }));
  }, 20_000);

  it('works with busybox sh and wget when curl is absent (as on a bare Alpine host)', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    const busybox = (await run('sh', ['-c', 'command -v busybox']).catch(() => ({ stdout: '' }))).stdout.trim();
    if (!busybox) return expect.fail('busybox is not installed on this host; the wget path cannot be tested');
    for (const applet of ['sh', 'date', 'sleep', 'awk', 'wget', 'grep', 'rm', 'mv', 'cat', 'timeout']) await symlink(busybox, path.join(bin, applet));
    expectRun(await runScript([path.join(bin, 'sh')], { PATH: bin }));
  }, 20_000);

  // Real sleeps on a shared host: a run of the whole unit suite can starve the two shells for a
  // moment and put one window out of bounds. Retried, so that only a spread that is wrong every
  // time (the old 14 / 6 split) fails the test.
  it('spreads each second evenly, and a second generator (phase 0.5) sends between the first one\'s requests', { retry: 2, timeout: 20_000 }, async () => {
    const scripts = [0, 0.5].map((phase, k) => ({ phase, logFile: path.join(dir, `g${k}.log`), pidFile: path.join(dir, `g${k}.pid`), script: path.join(dir, `g${k}.sh`) }));
    for (const g of scripts) await writeFile(g.script, renderLoadScript({ url, rates: [10, 10, 10], maxDurationS: 10, logFile: g.logFile, pidFile: g.pidFile, phase: g.phase }));
    const startAt = String(Date.now() + 300); // as LoadGenerators starts them: one common start
    await Promise.all(scripts.map((g) => run('sh', [g.script, startAt], { timeout: 15_000 })));
    const starts = (await Promise.all(scripts.map((g) => readFile(g.logFile, 'utf8'))))
      .flatMap((log) => log.trim().split('\n').map((l) => Number(l.split(' ')[0])))
      .sort((a, b) => a - b);
    expect(starts).toHaveLength(60);
    // half-second windows from the first launch: the old spread over 80 % of a second, with both
    // generators launching together, put 14 of 20 requests in the first half of each second, 6 in the second
    const first = starts[0];
    const halves = [0, 0, 0, 0, 0, 0];
    for (const t of starts) halves[Math.min(5, Math.floor((t - first) / 500))]++;
    console.log(`launches per half-second window: ${halves.join(' ')}`);
    for (const n of halves.slice(0, 5)) expect(n, `half-second windows ${halves.join(' ')}`).toBeGreaterThanOrEqual(7);
    for (const n of halves.slice(0, 5)) expect(n, `half-second windows ${halves.join(' ')}`).toBeLessThanOrEqual(13);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]).sort((a, b) => a - b);
    expect(gaps[Math.floor(gaps.length / 2)], `median ms between launches (ideal 50), gaps ${gaps.join(' ')}`).toBeGreaterThanOrEqual(25);
  });

  it('stops on TERM through its pid file', async () => {
    const logFile = path.join(dir, 'long.log');
    const pidFile = path.join(dir, 'long.pid');
    const script = path.join(dir, 'long.sh');
    await writeFile(script, renderLoadScript({ url, peakRps: 2, rampUpS: 0, holdS: 60, rampDownS: 0, maxDurationS: 60, logFile, pidFile }));
    const child = spawn('sh', [script], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 50 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(pid).toBe(child.pid);
    await new Promise((r) => setTimeout(r, 1200));
    process.kill(pid, 'SIGTERM');
    const killedAt = Date.now();
    expect(await exited).toBe(143);
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(existsSync(pidFile)).toBe(false);
    const sent = paths.length;
    await new Promise((r) => setTimeout(r, 1100));
    expect(paths.length).toBe(sent); // nothing launched after the kill
    expect(sent).toBeGreaterThanOrEqual(2);
  }, 20_000);
});
