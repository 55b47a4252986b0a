import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_TOKEN_FILE, loadAgentConfig, type ConfigSources } from '../src/config.ts';

function load(sources: Omit<ConfigSources, 'readFile' | 'exists'> & { files?: Record<string, string> } = {}) {
  const files = sources.files ?? {};
  return loadAgentConfig({
    argv: sources.argv ?? [],
    env: sources.env ?? {},
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: no such file, open '${p}'`);
      return files[p];
    },
    exists: (p) => p in files,
  });
}

function problem(sources: Parameters<typeof load>[0]): string {
  try {
    load(sources);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const token = { SWARMGUARD_TOKEN: 'agent-token-123456' };

describe('loadAgentConfig', () => {
  it('has the documented defaults', () => {
    const c = load({ env: token });
    expect(c).toMatchObject({ managerUrl: 'http://manager:5000', token: 'agent-token-123456', influx: null });
    expect(c.nodeName).toBeUndefined();
    expect(c.rules.monitoring).toEqual({ poll_interval: 1, link_mbps: 100 });
    expect(c.rules.scenarios.scenario1_migration).toMatchObject({ cpu_threshold: 75, memory_threshold: 80, network_threshold_max: 35, consecutive_breaches: 2 });
  });

  it('reads the token from the Docker secret file by default, and from SWARMGUARD_TOKEN_FILE', () => {
    expect(load({ files: { [DEFAULT_TOKEN_FILE]: 'from-secret\n' } }).token).toBe('from-secret');
    expect(load({ env: { SWARMGUARD_TOKEN_FILE: '/t' }, files: { '/t': ' other \n', [DEFAULT_TOKEN_FILE]: 'x' } }).token).toBe('other');
    expect(load({ env: { ...token }, files: { [DEFAULT_TOKEN_FILE]: 'x' } }).token).toBe('agent-token-123456');
  });

  it('refuses to start without a token, naming where one can come from', () => {
    expect(problem({})).toMatch(/SWARMGUARD_TOKEN: got nothing, .*SWARMGUARD_TOKEN_FILE/);
    expect(problem({ env: { SWARMGUARD_TOKEN_FILE: '/missing' } })).toMatch(/SWARMGUARD_TOKEN_FILE \(\/missing\): cannot read/);
  });

  it('takes the rules from the YAML file and ignores sections of other components', () => {
    const yaml = [
      'scenarios:',
      '  scenario1_migration: {cpu_threshold: 60, consecutive_breaches: 3}',
      'monitoring: {poll_interval: 0.5, link_mbps: 1000}',
      'manager: {port: 5001}',
    ].join('\n');
    const c = load({ env: { ...token, CONFIG_FILE: '/etc/sg.yaml' }, files: { '/etc/sg.yaml': yaml } });
    expect(c.rules.scenarios.scenario1_migration).toMatchObject({ cpu_threshold: 60, consecutive_breaches: 3, memory_threshold: 80 });
    expect(c.rules.monitoring).toEqual({ poll_interval: 0.5, link_mbps: 1000 });
    expect(c.configFile).toBe('/etc/sg.yaml');
  });

  it('lets env override the file and CLI flags override env', () => {
    const files = { '/c.yaml': 'monitoring: {poll_interval: 2, link_mbps: 1000}' };
    const env = { ...token, CONFIG_FILE: '/c.yaml', POLL_INTERVAL: '0.5', MANAGER_URL: 'http://10.0.0.2:5000', NODE_NAME: 'env-node' };
    const c = load({ env, files, argv: ['--poll-interval', '0.25', '--manager-url=https://mgr.example:5443', '--node-name', 'cli-node'] });
    expect(c.rules.monitoring).toEqual({ poll_interval: 0.25, link_mbps: 1000 });
    expect(c.managerUrl).toBe('https://mgr.example:5443');
    expect(c.nodeName).toBe('cli-node');
    expect(load({ env, files }).rules.monitoring.poll_interval).toBe(0.5);
  });

  it('names the key, the value and the expectation for bad values', () => {
    expect(problem({ env: { ...token, POLL_INTERVAL: 'fast' } })).toMatch(/POLL_INTERVAL \(monitoring\.poll_interval\): got "fast", .*expected number/);
    expect(problem({ env: token, argv: ['--link-mbps', '0'] })).toMatch(/--link-mbps \(monitoring\.link_mbps\): got 0, /);
    expect(problem({ env: { ...token, MANAGER_URL: 'manager:5000' } })).toMatch(/MANAGER_URL: got "manager:5000", expected an http/);
    const yaml = 'scenarios:\n  scenario2_scaling: {cpu_threshold: 150}';
    expect(problem({ env: { ...token, CONFIG_FILE: '/c.yaml' }, files: { '/c.yaml': yaml } })).toMatch(/\/c\.yaml: scenarios\.scenario2_scaling\.cpu_threshold: got 150, /);
  });

  it('reports every problem at once', () => {
    const message = problem({ env: { POLL_INTERVAL: 'x' } });
    expect(message).toMatch(/POLL_INTERVAL/);
    expect(message).toMatch(/SWARMGUARD_TOKEN/);
  });

  it('rejects unknown flags, broken YAML and a missing config file', () => {
    expect(problem({ env: token, argv: ['--pol-interval', '1'] })).toMatch(/command line: .*--pol-interval/);
    expect(problem({ env: { ...token, CONFIG_FILE: '/c.yaml' }, files: { '/c.yaml': 'scenarios: [' } })).toMatch(/\/c\.yaml: not valid YAML/);
    expect(problem({ env: { ...token, CONFIG_FILE: '/nope.yaml' } })).toMatch(/CONFIG_FILE: cannot read \/nope\.yaml/);
  });

  it('stores metrics only when INFLUX_URL is set, and then needs org, bucket and token', () => {
    const influxEnv = { ...token, INFLUX_URL: 'http://influx:8086', INFLUX_ORG: 'sg', INFLUX_BUCKET: 'metrics', INFLUX_TOKEN: 'itok' };
    expect(load({ env: influxEnv }).influx).toEqual({ url: 'http://influx:8086', org: 'sg', bucket: 'metrics', token: 'itok' });
    const { INFLUX_TOKEN: _t, ...noToken } = influxEnv;
    expect(load({ env: { ...noToken, INFLUX_TOKEN_FILE: '/run/secrets/influx' }, files: { '/run/secrets/influx': 'ftok\n' } }).influx?.token).toBe('ftok');
    const message = problem({ env: { ...token, INFLUX_URL: 'http://influx:8086' } });
    expect(message).toMatch(/INFLUX_ORG: got nothing, expected a value because INFLUX_URL is set/);
    expect(message).toMatch(/INFLUX_BUCKET: got nothing/);
    expect(message).toMatch(/INFLUX_TOKEN: got nothing/);
  });

  it('never prints a secret in an error', () => {
    const message = problem({ env: { SWARMGUARD_TOKEN: 'super-secret-value', INFLUX_URL: 'http://i:8086', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b', INFLUX_TOKEN: 'another-secret', MANAGER_URL: 'bad' } });
    expect(message).not.toMatch(/super-secret-value|another-secret/);
  });

  it('streams reports by default; REPORT_TRANSPORT or --report-transport post makes it one POST a cycle; anything else is named', () => {
    expect(load({ env: token }).reportTransport).toBe('stream');
    expect(load({ env: { ...token, REPORT_TRANSPORT: 'post' } }).reportTransport).toBe('post');
    expect(load({ env: { ...token, REPORT_TRANSPORT: 'post' }, argv: ['--report-transport', 'stream'] }).reportTransport).toBe('stream');
    expect(problem({ env: { ...token, REPORT_TRANSPORT: 'websocket' } })).toContain('REPORT_TRANSPORT: got "websocket", expected one of stream, post');
  });

  it('takes stats_source auto by default with the documented host paths, and docker/cgroup from env or flag', () => {
    expect(load({ env: token })).toMatchObject({ statsSource: 'auto', hostPaths: { proc: '/host/proc', cgroup: '/host/sys/fs/cgroup' } });
    expect(load({ env: { ...token, STATS_SOURCE: 'docker' } }).statsSource).toBe('docker');
    expect(load({ env: { ...token, STATS_SOURCE: 'docker' }, argv: ['--stats-source', 'cgroup', '--host-proc', '/p', '--host-cgroup', '/c'] })).toMatchObject({
      statsSource: 'cgroup',
      hostPaths: { proc: '/p', cgroup: '/c' },
    });
  });

  it('rejects an unknown stats source and a relative host path, naming the setting and the value', () => {
    const message = problem({ env: { ...token, STATS_SOURCE: 'cgroups', HOST_PROC: 'host/proc' } });
    expect(message).toContain('STATS_SOURCE: got "cgroups", expected one of auto, cgroup, docker');
    expect(message).toContain('HOST_PROC: got "host/proc", expected an absolute path');
  });
});
