import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CounterFile } from '../src/counter-file.ts';

describe('CounterFile', () => {
  it('re-reads from the start each time: the current text, not the rest after the last read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-counter-'));
    try {
      const path = join(dir, 'cpuacct.usage');
      writeFileSync(path, '100\n');
      const file = CounterFile.open(path)!;
      expect(file.read()).toBe('100\n');
      writeFileSync(path, '250\n');
      expect(file.read()).toBe('250\n');
      file.close();
      expect(file.read()).toBeNull();
      file.close(); // twice is harmless
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens nothing for a missing file', () => {
    expect(CounterFile.open('/proc/this-does-not-exist/cgroup')).toBeNull();
  });

  it('reads a real /proc/<pid>/cgroup while the process lives and null once it exited (the pid cannot be mistaken)', { timeout: 10_000 }, async () => {
    const child = spawn('sleep', ['30']);
    const file = CounterFile.open(`/proc/${child.pid}/cgroup`)!;
    try {
      expect(file.read()).toMatch(/^\d+:.*:\//m);
      child.kill('SIGKILL');
      await once(child, 'exit');
      // reaped by node: the held file now answers ESRCH, read as gone
      expect(file.read()).toBeNull();
    } finally {
      file.close();
      child.kill('SIGKILL');
    }
  });
});
