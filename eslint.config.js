import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // zx scripts get $, argv, fs, chalk … as globals.
    files: ['harness/*.mjs'],
    languageOptions: { globals: { $: 'readonly', argv: 'readonly', chalk: 'readonly', fs: 'readonly', path: 'readonly', echo: 'readonly', within: 'readonly', sleep: 'readonly' } },
  },
  {
    // The system runs without the harness: its lab tests and benchmarks live in harness/system.
    files: ['system/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '(^|/)harness(/|$)', message: 'system/ imports nothing from harness/.' }],
      }],
    },
  },
  {
    // The harness's rooms (harness/lib/README.md): experiments and cli use them, never the other way round.
    files: [
      'harness/lib/{config,cluster,load,events,probe,report,remote}/**',
      'harness/lab/**',
    ],
    // Writes an iteration through the experiments' context to check the dashboard's queries against it.
    ignores: ['harness/lib/report/grafana-panels.lab.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^\\.{1,2}/(.*/)?(experiments|cli)/',
          message: 'A room below experiments and cli imports neither (harness/lib/README.md).',
        }],
      }],
    },
  },
  {
    // Experiments reach a lab, local or remote, only through ctx.cluster (cluster/lab-port.ts);
    // dockerode and its clients stay behind that port's adapter (cluster/docker-lab.ts).
    files: ['harness/lib/experiments/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'dockerode', message: 'Experiments use ctx.cluster (cluster/lab-port.ts), not dockerode.' }],
        patterns: [{ regex: '(^|/)cluster/docker-clients\\.ts$', message: 'Experiments use ctx.cluster (cluster/lab-port.ts), not Docker clients.' }],
      }],
    },
  },
);
