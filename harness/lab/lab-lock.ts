import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './processes.ts';

/**
 * One user of the lab at a time: experiments and lab tests of two processes would move each other's
 * tasks. The lock is a folder (mkdir is atomic) holding the owner's pid; a dead owner's lock is taken over.
 */
export async function acquireLabLock(root: string, owner: string, timeoutMs = 45 * 60_000): Promise<() => Promise<void>> {
  await mkdir(root, { recursive: true });
  const dir = join(root, 'lock');
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'owner'), `${process.pid} ${owner}\n`);
      return async () => {
        await rm(dir, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(join(dir, 'owner'), 'utf8').catch(() => '');
    const pid = Number.parseInt(text, 10);
    if (text && !isAlive(pid)) {
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (!text && Date.now() - started > 5000) {
      await rm(dir, { recursive: true, force: true }); // an owner that died between mkdir and writeFile
      continue;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`lab is in use by ${text.trim() || 'another process'} for more than ${timeoutMs} ms`);
    if (!announced) {
      process.stderr.write(`waiting for the lab, in use by ${text.trim()}\n`);
      announced = true;
    }
    await sleep(1000);
  }
}
