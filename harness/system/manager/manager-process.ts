import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ManagerChildMemory, ManagerChildStarted, ManagerChildStopped } from './simulated-manager.ts';
import type { SwarmTiming } from './simulated-swarm.ts';
import type { LayoutShape } from './swarm-layout.ts';

const CHILD = fileURLToPath(new URL('./simulated-manager.ts', import.meta.url));

/**
 * One ES module file, as scripts/build.mjs bundles the manager for its image: the child then runs on
 * plain node like the production manager, without a TypeScript loader in its memory and CPU time.
 */
async function bundleChild(dir: string): Promise<string> {
  const outfile = join(dir, 'simulated-manager.mjs');
  await build({
    entryPoints: [CHILD],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    external: ['cpu-features', '*.node'],
    // as scripts/build.mjs: CommonJS dependencies (dockerode's) expect require, __filename and __dirname
    banner: {
      js: [
        "import { createRequire as __cr } from 'node:module';",
        "import { fileURLToPath as __fu } from 'node:url';",
        "import { dirname as __dn } from 'node:path';",
        'const require = __cr(import.meta.url);',
        'const __filename = __fu(import.meta.url);',
        'const __dirname = __dn(__filename);',
      ].join(' '),
    },
  });
  return outfile;
}

/**
 * The manager over a simulated swarm, running in a child process (simulated-manager.ts, bundled):
 * started listening on 127.0.0.1, stopped by `stop()` (a clean stop over IPC, then SIGKILL of that
 * child after 5 s) or through `await using`; the bundle's temporary folder goes with it.
 */
export class ManagerProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly address: string,
  ) {}

  get pid(): number {
    return this.child.pid ?? NaN;
  }

  static async start(shape: LayoutShape, timing: SwarmTiming, token: string, timeoutMs = 30_000): Promise<ManagerProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'swarmguard-scale-bench-'));
    let child: ChildProcess | undefined;
    try {
      const file = await bundleChild(dir);
      child = spawn(process.execPath, ['--expose-gc', file], {
        // stdout: the manager's event lines, written as in production and discarded here
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { PATH: process.env.PATH, SWARMGUARD_TOKEN: token, NODE_NAME: 'bench-manager', SCALE_SHAPE: JSON.stringify(shape), SCALE_TIMING: JSON.stringify(timing) },
      });
      const started = child;
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`simulated manager not listening after ${timeoutMs} ms`)), timeoutMs);
        started.once('exit', (code, signal) => reject(new Error(`simulated manager exited before listening (code ${code}, signal ${signal})`)));
        started.once('message', (m: ManagerChildStarted) => {
          clearTimeout(timer);
          resolve(m.address);
        });
      });
      return new ManagerProcess(started, dir, address);
    } catch (error) {
      child?.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The child's own view of its memory (V8 heap and RSS) after a garbage collection, over IPC. */
  memory(timeoutMs = 5000): Promise<ManagerChildMemory> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`simulated manager: no memory reading after ${timeoutMs} ms`)), timeoutMs);
      const listener = (m: { kind?: string }) => {
        if (m.kind !== 'memory') return;
        clearTimeout(timer);
        this.child.off('message', listener);
        resolve(m as ManagerChildMemory);
      };
      this.child.on('message', listener);
      this.child.send('memory');
    });
  }

  /** Swarm calls and updates the manager made, or undefined when it did not stop cleanly. */
  async stop(): Promise<ManagerChildStopped | undefined> {
    let result: ManagerChildStopped | undefined;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      result = await new Promise<ManagerChildStopped | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 5000);
        this.child.on('message', (m: { kind?: string }) => {
          if (m.kind !== 'stopped') return;
          clearTimeout(timer);
          resolve(m as ManagerChildStopped);
        });
        this.child.send('stop');
      });
      if (!result) this.child.kill('SIGKILL');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
    return result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
