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
    // ssh2 (pulled in by docker-modem) has optional native parts that it loads in try/catch.
    external: ['cpu-features', '*.node'],
    // CommonJS dependencies expect require, __filename and __dirname
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
  console.log(`built dist/${name}/main.mjs`);
}
