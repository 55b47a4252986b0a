// Bundles each system component into one ESM file under dist/<component>/main.mjs,
// so an image needs nothing but node and that file.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const components = ['web-stress', 'agent', 'manager'];
const only = process.argv.slice(2);
for (const name of components) {
  if (only.length > 0 && !only.includes(name)) continue;
  const entry = `system/${name}/src/main.ts`;
  if (!existsSync(entry)) {
    console.log(`skip ${name}: no ${entry}`);
    continue;
  }
  await build({
    entryPoints: [entry],
    outfile: `dist/${name}/main.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: false,
    logLevel: 'warning',
    // ssh2/cpu-features have optional native parts that the components never use.
    external: ['cpu-features', 'ssh2'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  console.log(`built dist/${name}/main.mjs`);
}
