import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { extraAppSpec, extraApps } from '../cluster/extra-apps.ts';
import { deployedConfig, earlyStopDelayS, parseLab, type LabConfig } from './lab-config.ts';
import { stringify } from 'yaml';
import { parseConfig } from '../../../system/manager/src/config.ts';
import { appShutdown, webStressSpec } from './system-specs.ts';

const shipped = async () => parseLab(await readFile('lab.yaml', 'utf8'));

interface Spec {
  TaskTemplate: { ContainerSpec: { Env: string[]; StopGracePeriod: number } };
}

describe("the manager's early_stop_delay as deployed", () => {
  it('is the balancer taking a server in (interval × rise) unless lab.yaml sets it, and the manager reads it', async () => {
    const lab = await shipped();
    expect(earlyStopDelayS({ ...lab, entrypoint_balancer: { ...lab.entrypoint_balancer, check_interval_ms: 250, rise: 1 } })).toBe(0.25);
    expect(earlyStopDelayS({ ...lab, entrypoint_balancer: { ...lab.entrypoint_balancer, check_interval_ms: 2000, rise: 2 } })).toBe(4);
    const set = parseLab((await readFile('lab.yaml', 'utf8')).replace('  config:', '  config:\n    manager: { migration: { early_stop_delay: 0 } }'));
    expect(earlyStopDelayS(set)).toBe(0);
    const deployed = parseConfig(stringify(deployedConfig(lab)));
    expect(deployed.manager.migration.early_stop_delay).toBe(earlyStopDelayS(lab));
    expect(deployed.manager.migration.early_stop).toBe(true);
  });
});

describe('web-stress shutdown in the service spec', () => {
  it('drains for the balancer detection time plus one check (interval × (fall + 1)) unless app.drain_ms says', async () => {
    const lab = await shipped();
    const balancer = { ...lab.entrypoint_balancer, check_interval_ms: 250, fall: 2 };
    expect(appShutdown({ ...lab, entrypoint_balancer: balancer, app: { ...lab.app, drain_ms: undefined } }).drainMs).toBe(750);
    expect(appShutdown({ ...lab, entrypoint_balancer: { ...balancer, check_interval_ms: 2000, fall: 3 }, app: { ...lab.app, drain_ms: undefined } }).drainMs).toBe(8000);
    expect(appShutdown({ ...lab, app: { ...lab.app, drain_ms: 4000 } }).drainMs).toBe(4000);
  });

  it('passes the drain to the app, and gives Docker a grace period above the app’s own hard exit', async () => {
    const base = await shipped();
    for (const drain of [0, 1000, 30_000]) {
      const lab: LabConfig = { ...base, app: { ...base.app, drain_ms: drain } };
      const stop = appShutdown(lab);
      const spec = webStressSpec(lab, { images: { 'web-stress': 'img' } }) as unknown as Spec;
      const env = spec.TaskTemplate.ContainerSpec.Env;
      expect(env).toContain(`SHUTDOWN_DRAIN_MS=${drain}`);
      expect(env).toContain(`SHUTDOWN_TIMEOUT_MS=${stop.hardExitMs}`);
      expect(stop.hardExitMs).toBeGreaterThan(drain + stop.inflightMs);
      expect(spec.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(stop.stopGraceMs * 1e6);
      expect(stop.stopGraceMs).toBeGreaterThan(stop.hardExitMs);
    }
  });

  it('the extra copies of the app get the same drain and grace period', async () => {
    const lab = await shipped();
    const main = webStressSpec(lab, { images: { 'web-stress': 'img' } }) as unknown as Spec;
    const copy = extraAppSpec(lab, extraApps(lab)[0], 'img') as unknown as Spec;
    expect(copy.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(main.TaskTemplate.ContainerSpec.StopGracePeriod);
    expect(copy.TaskTemplate.ContainerSpec.Env.filter((e) => e.startsWith('SHUTDOWN_'))).toEqual(
      main.TaskTemplate.ContainerSpec.Env.filter((e) => e.startsWith('SHUTDOWN_')),
    );
  });
});

describe("the manager's own section in lab.yaml's swarmguard.config", () => {
  it('is optional, carries the manager settings through to the deployed config, and names a bad key', async () => {
    const text = await readFile('lab.yaml', 'utf8');
    expect((await shipped()).swarmguard.config.manager).toBeUndefined();
    const withManager = text.replace(/^(\s+)monitoring: \{/m, '$1manager: { migration: { failure_action: pause, timeout: 3 } }\n$1monitoring: {');
    const lab = parseLab(withManager);
    expect(lab.swarmguard.config.manager?.migration).toMatchObject({ failure_action: 'pause', timeout: 3 });
    expect(() => parseLab(withManager.replace('failure_action: pause', 'failure_action: shrug'))).toThrow(/swarmguard\.config\.manager\.migration\.failure_action/);
  });
});
