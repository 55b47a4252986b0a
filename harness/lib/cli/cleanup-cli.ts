import { NodeSSH } from 'node-ssh';
import { parseFlags } from '../script-args.ts';
import { runCli, withLab, labFlag, helpFlag } from './cli-common.ts';
import { stateDir, type LabConfig } from '../lab-config.ts';
import { managerDocker } from '../docker-clients.ts';
import { resetApp } from '../app-control.ts';
import { AGENT_SERVICE, MANAGER_SERVICE } from '../system-specs.ts';
import { LabPaths } from '../../lab/lab-paths.ts';

const HELP = `usage: npx zx harness/cleanup.mjs [--full] [--lab lab.yaml]
  Stops load-generator scripts left on every load generator, removes test services (label
  swarmguard.test), and resets the application (1 replica, no temporary constraint, no stress).
  --full  also removes SwarmGuard (agent, manager, application), its secrets and configs, and the
          metrics it stored (local lab: VictoriaMetrics series container_metrics_*).
  Reports in results/ are never touched.`;

/** Kills what load scripts of earlier runs left running (their pid files are in /tmp/swarmguard-load-*). */
const STOP_LOAD = [
  'n=0; for f in /tmp/swarmguard-load-*/*.pid; do [ -f "$f" ] || continue;',
  'p=$(cat "$f"); if grep -q swarmguard-load /proc/$p/cmdline 2>/dev/null || grep -q "$(dirname "$f")" /proc/$p/cmdline 2>/dev/null;',
  'then kill -TERM -- -$p 2>/dev/null || kill -TERM $p 2>/dev/null; n=$((n+1)); fi; done;',
  'rm -rf /tmp/swarmguard-load-*; echo $n',
].join(' ');

async function stopLoad(lab: LabConfig, log: (l: string) => void): Promise<void> {
  const localKey = lab.kind === 'local' ? new LabPaths(stateDir(lab)).ssh.clientKey : undefined;
  for (const g of lab.load_generators) {
    const ssh = new NodeSSH();
    try {
      await ssh.connect({ host: g.address, port: g.ssh.port, username: g.ssh.user, privateKeyPath: g.ssh.key ?? localKey, readyTimeout: 5000 });
      const r = await ssh.execCommand(STOP_LOAD);
      log(`${g.name}: stopped ${r.stdout.trim() || 0} load script(s)`);
    } catch (err) {
      log(`${g.name}: could not stop load: ${(err as Error).message}`);
    } finally {
      ssh.dispose();
    }
  }
}

export function main(argv: string[]): Promise<number> {
  return runCli('cleanup', HELP, async () => {
    const { values } = parseFlags(argv, { full: { type: 'boolean', default: false }, lab: labFlag, help: helpFlag }, false);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const log = (l: string) => console.log(l);
    return withLab(values.lab, 'cleanup', async (lab) => {
      const docker = managerDocker(lab);
      await stopLoad(lab, log);
      const tests = (await docker.listServices({ filters: { label: ['swarmguard.test'] } })) as { ID: string; Spec: { Name: string } }[];
      for (const s of tests) {
        await docker.getService(s.ID).remove();
        log(`removed test service ${s.Spec.Name}`);
      }
      if (!values.full) {
        await resetApp(lab, docker);
        log(`${lab.app.service} reset to ${lab.app.replicas} replica(s)`);
        return 0;
      }
      for (const name of [AGENT_SERVICE, MANAGER_SERVICE, lab.app.service]) {
        await docker.getService(name).remove().then(() => log(`removed ${name}`), () => log(`${name}: not deployed`));
      }
      const label = { filters: { label: ['swarmguard.component'] } };
      // secrets and configs stay in use until the tasks are gone: retry for a while
      const deadline = Date.now() + 30_000;
      for (;;) {
        const secrets = (await docker.listSecrets(label)) as { ID: string }[];
        const configs = (await docker.listConfigs(label)) as { ID: string }[];
        const results = await Promise.allSettled([...secrets.map((s) => docker.getSecret(s.ID).remove()), ...configs.map((c) => docker.getConfig(c.ID).remove())]);
        if (results.every((r) => r.status === 'fulfilled')) {
          log(`removed ${secrets.length} secret(s), ${configs.length} config(s)`);
          break;
        }
        if (Date.now() > deadline) throw new Error('secrets/configs still in use after 30000 ms');
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (lab.kind === 'local') {
        const res = await fetch(`${lab.influxdb.url}/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent('{__name__=~"container_metrics.*"}')}`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
        log(`stored metrics deleted (HTTP ${res.status})`);
      } else {
        log(`metrics in ${lab.influxdb.url} are left alone: delete them with your InfluxDB's own tools`);
      }
      return 0;
    });
  });
}
