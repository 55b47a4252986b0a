import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { extraApps } from '../lib/cluster/extra-apps.ts';
import { parseLab, type LabConfig } from '../lib/config/lab-config.ts';
import { haproxyConfig } from './lab-services.ts';

const shipped = async () => parseLab(await readFile('lab.yaml', 'utf8'));
const withBalancer = (lab: LabConfig, b: Partial<LabConfig['entrypoint_balancer']>): LabConfig => ({
  ...lab,
  entrypoint_balancer: { ...lab.entrypoint_balancer, ...b },
});
const lines = (cfg: string) => cfg.split('\n').map((l) => l.trim());
const retryLines = (cfg: string) => lines(cfg).filter((l) => /^(retries|retry-on|option redispatch)/.test(l));

describe('haproxyConfig', () => {
  it('retries nothing by default: failures reach the probes', async () => {
    const lab = await shipped();
    expect(lab.entrypoint_balancer.retries).toBe('none');
    expect(retryLines(haproxyConfig(lab, '/state'))).toEqual(['retries 0']);
  });

  it('conn-failure retries a refused or reset connection on another server, nothing else', async () => {
    const cfg = haproxyConfig(withBalancer(await shipped(), { retries: 'conn-failure' }), '/state');
    expect(retryLines(cfg)).toEqual(['retries 3', 'retry-on conn-failure', 'option redispatch 1']);
  });

  it('all also retries empty answers, timeouts and 502/503', async () => {
    const cfg = haproxyConfig(withBalancer(await shipped(), { retries: 'all' }), '/state');
    expect(retryLines(cfg)).toEqual(['retries 3', 'option redispatch 1', 'retry-on conn-failure empty-response response-timeout 502 503']);
  });

  it('checks every backend, the extra apps too, at the configured interval and fall', async () => {
    const lab = withBalancer(await shipped(), { check_interval_ms: 400, fall: 3 });
    const cfg = lines(haproxyConfig(lab, '/state'));
    const backends = cfg.filter((l) => l.startsWith('backend ') && !l.endsWith('-probe'));
    expect(backends).toEqual(['backend app', ...extraApps(lab).map((a) => `backend ${a.name}`)]);
    expect(cfg.filter((l) => l === 'default-server inter 400ms fall 3 rise 1')).toHaveLength(backends.length);
    expect(cfg.filter((l) => l === `option httpchk GET ${lab.app.healthcheck.path}`)).toHaveLength(backends.length);
    expect(cfg.some((l) => l.startsWith('default-server') && !l.includes('inter 400ms'))).toBe(false);
  });

  it("sends the probe's path to a backend of its own that follows the app backend's checks", async () => {
    const lab = await shipped();
    const cfg = lines(haproxyConfig(lab, '/state'));
    for (const b of ['app', ...extraApps(lab).map((a) => a.name)]) {
      expect(cfg).toContain(`use_backend ${b}-probe if { path ${lab.experiments.probe_path} }`);
      const at = cfg.indexOf(`backend ${b}-probe`);
      expect(at).toBeGreaterThan(0);
      const rest = cfg.slice(at + 1);
      const end = rest.findIndex((l) => l.startsWith('backend ') || l.startsWith('frontend ') || l === '');
      const servers = rest.slice(0, end).filter((l) => l.startsWith('server '));
      expect(servers).toHaveLength(lab.swarm.workers.length);
      for (const w of lab.swarm.workers) expect(servers.some((l) => l.startsWith(`server ${w.name} `) && l.endsWith(`track ${b}/${w.name}`))).toBe(true);
    }
  });

  it('defaults to checks every 250 ms with fall 2', async () => {
    const cfg = lines(haproxyConfig(await shipped(), '/state'));
    expect(cfg).toContain('default-server inter 250ms fall 2 rise 1');
  });
});
