import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../shared/rules-schema.ts';
import { loadAgentConfig } from '../src/config.ts';
import { RulesReloader } from '../src/rules-reloader.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A config file and a reloader reading it through the agent's own loader (token from env). */
function fixture(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sg-agent-'));
  dirs.push(dir);
  const file = join(dir, 'manager.yaml');
  writeFileSync(file, yaml);
  const load = () => loadAgentConfig({ argv: [], env: { CONFIG_FILE: file, SWARMGUARD_TOKEN: 'agent-token-123456' } }).rules;
  const reloader = new RulesReloader(file, load, load());
  const accepted: RulesConfig[] = [];
  const rejected: string[] = [];
  const listener = { accepted: (r: RulesConfig) => void accepted.push(r), rejected: (r: string) => void rejected.push(r) };
  return { dir, file, reloader, accepted, rejected, listener };
}

describe('RulesReloader', () => {
  it('a changed file brings new thresholds; a bad one is rejected naming the key and the old ones stay', async () => {
    const f = fixture('scenarios: {scenario1_migration: {cpu_threshold: 75}}\nmanager: {port: 5000}\n');
    f.reloader.watch(f.listener, 30);
    try {
      writeFileSync(f.file, 'scenarios: {scenario1_migration: {cpu_threshold: 60}}\nmanager: {port: 5000}\n');
      await waitFor(() => f.accepted.length === 1);
      expect(f.accepted[0]!.scenarios.scenario1_migration.cpu_threshold).toBe(60);
      expect(f.reloader.current().scenarios.scenario1_migration.cpu_threshold).toBe(60);

      writeFileSync(f.file, 'scenarios: {scenario1_migration: {cpu_threshold: 160}}\n');
      await waitFor(() => f.rejected.length >= 1);
      expect(f.rejected[0]).toMatch(/scenarios\.scenario1_migration\.cpu_threshold: got 160/);
      expect(f.reloader.current().scenarios.scenario1_migration.cpu_threshold).toBe(60);

      // replaced by rename, as editors and config tools do
      writeFileSync(join(f.dir, 'next.yaml'), 'scenarios: {scenario1_migration: {cpu_threshold: 50}}\n');
      renameSync(join(f.dir, 'next.yaml'), f.file);
      await waitFor(() => f.accepted.length === 2);
      expect(f.accepted[1]!.scenarios.scenario1_migration.cpu_threshold).toBe(50);
    } finally {
      f.reloader.stop();
    }
  });

  it('rewriting the file with the same rules (or only other components’ keys) is no event', () => {
    const f = fixture('scenarios: {scenario1_migration: {cpu_threshold: 70}}\n');
    writeFileSync(f.file, 'scenarios: {scenario1_migration: {cpu_threshold: 70}}\nmanager: {port: 6000}\n');
    expect(f.reloader.reload(f.listener)).toBe(false);
    expect(f.accepted).toEqual([]);
    expect(f.rejected).toEqual([]);
  });
});
