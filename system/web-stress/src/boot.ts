/**
 * Starts the bundled app (app.cjs, beside this file) through a V8 code cache, the way Node 22's
 * module compile cache would: web-stress runs under a CPU quota (0.5 CPU in the lab), where every
 * millisecond of start-up CPU is two of wall time before the first healthcheck can pass. Measured
 * under a 0.5 CPU cgroup quota, process start → first 200 on /health: 591 ms as an ES module,
 * 388 ms from the cache (median of 7).
 *
 * `node main.cjs --make-code-cache` (run once where the image is built, with the image's own node)
 * starts the app, asks it for /health and /metrics so that their code is compiled too, writes the
 * cache and exits. A cache made by another node or V8 is rejected by V8 and the app compiles from
 * source as usual; a missing cache is the same.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import Module from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

const appFile = join(__dirname, 'app.cjs');
const cacheFile = `${appFile}.v8cache`;
const making = process.argv.includes('--make-code-cache');

function readCache(): Buffer | undefined {
  if (making) return undefined;
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

function get(path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8080), path, timeout: 500 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function makeCache(script: Script): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await get('/health')) !== 200) {
    if (Date.now() > deadline) throw new Error('web-stress did not answer /health within 20 s; no code cache made');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await get('/metrics');
  const data = script.createCachedData();
  writeFileSync(`${cacheFile}.tmp`, data);
  renameSync(`${cacheFile}.tmp`, cacheFile);
  console.log(`web-stress: code cache of ${data.length} bytes written to ${cacheFile}`);
}

const cachedData = readCache();
const script = new Script(Module.wrap(readFileSync(appFile, 'utf8')), { filename: appFile, cachedData });
const app = new Module(appFile, module);
app.filename = appFile;
app.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
if (cachedData && script.cachedDataRejected) console.error(`web-stress: ${cacheFile} was made by another node or V8; compiling from source`);
(script.runInThisContext() as (...args: unknown[]) => void).call(app.exports, app.exports, (id: string) => app.require(id), app, appFile, __dirname);

if (making) {
  makeCache(script).then(
    () => process.exit(0),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
