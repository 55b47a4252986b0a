/**
 * CPU time spent per alert by each party of the benchmark, so that a throughput figure measured on
 * a shared 2-core host can be read against its cost: the manager container (its cgroup's
 * cpuacct.usage), the manager node's dockerd (which reads the manager's stdout log lines) and this
 * client process. Local lab only (cgroup v1 under `sg-<node>`, dockerd pid files); elsewhere each
 * meter reports itself unavailable.
 */
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { LabConfig } from '../../lib/config/lab-config.ts';
import { stateDir } from '../../lib/config/lab-config.ts';
import { LabPaths, cgroupParent } from '../../lab/lab-paths.ts';
import { MANAGER_SERVICE } from '../../lib/config/system-specs.ts';

const CLK_TCK = 100; // USER_HZ on Linux: /proc/<pid>/stat times are in 1/100 s

type Reader = () => Promise<number>; // CPU milliseconds so far

async function procCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime + stime
}

async function readers(lab: LabConfig, docker: Docker): Promise<Record<string, Reader | string>> {
  const out: Record<string, Reader | string> = { client: async () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } };
  if (lab.kind !== 'local') return { ...out, manager: 'n/a (not the local lab)', dockerd: 'n/a (not the local lab)' };
  const [c] = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${MANAGER_SERVICE}`] } });
  const node = lab.swarm.manager.name;
  const usage = c ? `/sys/fs/cgroup/cpuacct/${cgroupParent(node)}/${c.Id}/cpuacct.usage` : '';
  out.manager = c
    ? async () => Number(await readFile(usage, 'utf8')) / 1e6
    : `n/a (no ${MANAGER_SERVICE} container on ${node})`;
  const pid = Number((await readFile(new LabPaths(stateDir(lab)).node(node).pidFile, 'utf8').catch(() => '')).trim());
  out.dockerd = pid > 0 ? () => procCpuMs(pid) : 'n/a (no dockerd pid file)';
  return out;
}

export interface CpuMeter {
  /** One line: µs of CPU per alert for each party, or why a party could not be measured. */
  stop(alerts: number): Promise<string>;
}

export async function startCpuMeter(lab: LabConfig, docker: Docker): Promise<CpuMeter> {
  const rs = await readers(lab, docker);
  const start: Record<string, number> = {};
  for (const [name, r] of Object.entries(rs)) if (typeof r !== 'string') start[name] = await r().catch(() => NaN);
  return {
    async stop(alerts) {
      const parts: string[] = [];
      for (const [name, r] of Object.entries(rs)) {
        if (typeof r === 'string') {
          parts.push(`${name} ${r}`);
          continue;
        }
        const ms = (await r().catch(() => NaN)) - (start[name] ?? NaN);
        parts.push(Number.isFinite(ms) ? `${name} ${((ms * 1000) / alerts).toFixed(0)} µs` : `${name} n/a (unreadable)`);
      }
      return `CPU per alert: ${parts.join(', ')}`;
    },
  };
}
