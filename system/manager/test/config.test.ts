import { mkdtempSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadToken, overridesFrom, parseConfig } from '../src/config.ts';
import { ConfigStore } from '../src/config-store.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sg-manager-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('config', () => {
  it('defaults are DESIGN.md §3 plus the manager section', () => {
    const c = parseConfig('');
    expect(c.scenarios.scenario1_migration).toEqual({ cpu_threshold: 75, memory_threshold: 80, network_threshold_max: 35, consecutive_breaches: 2, cooldown_period: 30, startup_grace_s: 10 });
    expect(c.scenarios.scenario2_scaling.max_replicas).toBe(10);
    expect(c.monitoring).toEqual({ poll_interval: 1, link_mbps: 100 });
    expect(c.manager).toMatchObject({ port: 5000, host: '0.0.0.0', body_limit: 16384, alert_breach_credit: 'agent' });
    expect(c.manager.services).toBeUndefined();
    expect(c.manager.migration).toMatchObject({ placement: 'least_loaded', timeout: 60, update_attempts: 5, failure_action: 'rollback', early_stop: true });
  });

  it('errors name the key, the value and the expectation', () => {
    expect(() => parseConfig('scenarios: {scenario1_migration: {cpu_threshold: 150}}', {}, 'x.yaml')).toThrow(
      /scenarios\.scenario1_migration\.cpu_threshold: got 150, .*100/,
    );
    expect(() => parseConfig('manager: {migration: {failure_action: retry}}')).toThrow(/manager\.migration\.failure_action: got "retry"/);
    expect(() => parseConfig('manager: {migration: {early_stop: yes please}}')).toThrow(/manager\.migration\.early_stop: got "yes please"/);
    expect(() => parseConfig('manager: {prot: 5000}')).toThrow(/prot/);
    expect(() => parseConfig('scenarios: {scenario2_scaling: {min_replicas: 5, max_replicas: 2}}')).toThrow(/min_replicas/);
    expect(() => parseConfig('a: [1,')).toThrow(ConfigError);
    expect(() => parseConfig('- 1')).toThrow(/mapping/);
  });

  it('CLI beats env beats file', () => {
    const file = 'manager: {port: 6000, services: [a]}';
    expect(parseConfig(file, overridesFrom({}, [])).manager.port).toBe(6000);
    expect(parseConfig(file, overridesFrom({ PORT: '7000' }, [])).manager.port).toBe(7000);
    expect(parseConfig(file, overridesFrom({ PORT: '7000' }, ['--port', '8000'])).manager.port).toBe(8000);
    expect(parseConfig(file, overridesFrom({ MANAGED_SERVICES: 'web-stress, api' }, [])).manager.services).toEqual(['web-stress', 'api']);
    expect(() => overridesFrom({ PORT: 'http' }, [])).toThrow(/PORT: got "http", expected a port number/);
    expect(parseConfig(file, overridesFrom({ DOCKER_CALL_TIMEOUT_MS: '2000' }, [])).manager.docker_call_timeout_ms).toBe(2000);
    expect(() => overridesFrom({ DOCKER_CALL_TIMEOUT_MS: '2s' }, [])).toThrow(/DOCKER_CALL_TIMEOUT_MS: got "2s", expected milliseconds/);
    expect(() => parseConfig(file, overridesFrom({ DOCKER_CALL_TIMEOUT_MS: '5' }, []))).toThrow(/docker_call_timeout_ms/);
    expect(() => overridesFrom({}, ['--bogus'])).toThrow();
  });

  it('node detection: on by default, NODE_DETECTION=on|off over the file, keeping its other keys; bad values named', () => {
    const file = 'manager: {node_detection: {missed_reports: 3}}';
    expect(parseConfig('').manager.node_detection).toEqual({ enabled: true, missed_reports: 2, probe_failures: 2, probe_timeout_ms: 300, interval_ms: 100, probe_ports: [] });
    expect(parseConfig(file, overridesFrom({ NODE_DETECTION: 'off' }, [])).manager.node_detection).toMatchObject({ enabled: false, missed_reports: 3 });
    expect(parseConfig('manager: {node_detection: {enabled: false}}', overridesFrom({ NODE_DETECTION: 'on' }, [])).manager.node_detection.enabled).toBe(true);
    expect(() => overridesFrom({ NODE_DETECTION: 'yes' }, [])).toThrow(/NODE_DETECTION: got "yes", expected on or off/);
    expect(() => parseConfig('manager: {node_detection: {missed_reports: 0}}')).toThrow(/missed_reports/);
    expect(() => parseConfig('manager: {node_detection: {probe_ports: [70000]}}')).toThrow(/probe_ports/);
    expect(() => parseConfig('manager: {node_detection: {probe: tcp}}')).toThrow(/probe/);
  });

  it('a CONFIG_FILE that does not exist is an error; none at all means defaults', () => {
    expect(() => loadConfig({ file: '/nonexistent/sg.yaml' })).toThrow(/does not exist/);
    expect(loadConfig({}).manager.port).toBe(5000);
  });

  it('token from SWARMGUARD_TOKEN, else from SWARMGUARD_TOKEN_FILE; none or short is refused', () => {
    const dir = tempDir();
    const file = join(dir, 'token');
    writeFileSync(file, 'from-the-file-0123456789\n');
    expect(loadToken({ SWARMGUARD_TOKEN: 'direct-token-0123456789', SWARMGUARD_TOKEN_FILE: file })).toBe('direct-token-0123456789');
    expect(loadToken({ SWARMGUARD_TOKEN_FILE: file })).toBe('from-the-file-0123456789');
    expect(() => loadToken({ SWARMGUARD_TOKEN_FILE: join(dir, 'missing') })).toThrow(/no token/);
    expect(() => loadToken({ SWARMGUARD_TOKEN: 'short' })).toThrow(/at least 16/);
  });
});

describe('hot reload', () => {
  const waitFor = async (cond: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('accepts a valid new file, rejects a bad one and keeps the old config', async () => {
    const dir = tempDir();
    const file = join(dir, 'manager.yaml');
    writeFileSync(file, 'scenarios: {scenario1_migration: {cooldown_period: 30}}\n');
    const overrides = { file, port: 5555 };
    const store = new ConfigStore(loadConfig(overrides), overrides);
    const accepted: number[] = [];
    const rejected: string[] = [];
    store.watch({ accepted: (c) => accepted.push(c.scenarios.scenario1_migration.cooldown_period), rejected: (r) => rejected.push(r) }, 50);
    try {
      writeFileSync(file, 'scenarios: {scenario1_migration: {cooldown_period: 5}}\n');
      await waitFor(() => accepted.length === 1);
      expect(store.current().scenarios.scenario1_migration.cooldown_period).toBe(5);
      expect(store.current().manager.port).toBe(5555); // overrides survive a reload

      writeFileSync(file, 'scenarios: {scenario1_migration: {cooldown_period: -1}}\n');
      await waitFor(() => rejected.length >= 1);
      expect(rejected[0]).toMatch(/scenarios\.scenario1_migration\.cooldown_period: got -1/);
      expect(store.current().scenarios.scenario1_migration.cooldown_period).toBe(5);

      // replaced by rename, as editors and config tools do
      writeFileSync(join(dir, 'next.yaml'), 'scenarios: {scenario1_migration: {cooldown_period: 7}}\n');
      renameSync(join(dir, 'next.yaml'), file);
      await waitFor(() => accepted.includes(7));
      expect(store.current().scenarios.scenario1_migration.cooldown_period).toBe(7);
    } finally {
      store.stop();
    }
  });
});
