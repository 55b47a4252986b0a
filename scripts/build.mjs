// Bundles each system component into one file under dist/<component>/, so an image needs nothing
// but node and that file: dist/agent/main.mjs and dist/manager/main.mjs (ES modules), and for
// web-stress dist/web-stress/app.cjs (CommonJS) started by dist/web-stress/main.cjs (src/boot.ts),
// which loads it through a V8 code cache (see boot.ts for why and what it gains).
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
  const cjs = name === 'web-stress';
  await build({
    entryPoints: [entry],
    outfile: cjs ? `dist/${name}/app.cjs` : `dist/${name}/main.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: cjs ? 'cjs' : 'esm',
    sourcemap: false,
    logLevel: 'warning',
    // ssh2 (pulled in by docker-modem) has optional native parts that it loads in try/catch.
    external: ['cpu-features', '*.node'],
    // CommonJS dependencies expect require, __filename and __dirname (a CommonJS bundle has them)
    banner: cjs ? {} : {
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
  if (cjs) {
    await build({ entryPoints: [`system/${name}/src/boot.ts`], outfile: `dist/${name}/main.cjs`, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  }
  console.log(`built dist/${name}/${cjs ? 'main.cjs + app.cjs' : 'main.mjs'}`);
}
