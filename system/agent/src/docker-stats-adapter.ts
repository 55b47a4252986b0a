import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { ContainerWatch } from './container-watch.ts';
import type { ContainerStopper } from './early-stop.ts';
import type { ContainerInspector, ContainerProcess, ContainerRef, ContainerStatsPort, CpuLimits, NodeInfo, RawStats } from './types.ts';

const SERVICE_LABEL = 'com.docker.swarm.service.name';
const TASK_LABEL = 'com.docker.swarm.task.id';

/** dockerode errors carry the HTTP status of the Engine API answer. */
function isGone(err: unknown): boolean {
  const status = (err as { statusCode?: number } | null)?.statusCode;
  // 404: removed; 409: exists but is not running (stopping, paused) — nothing to sample either way.
  return status === 404 || status === 409;
}

/**
 * ContainerStatsPort over the local Docker daemon. `new Docker()` honours DOCKER_HOST and otherwise
 * uses /var/run/docker.sock, so each agent talks to the daemon of its own node.
 */
export class DockerStatsAdapter implements ContainerStatsPort, ContainerInspector, ContainerStopper {
  private watch: ContainerWatch<ContainerRef[]> | undefined;

  constructor(
    private readonly docker: Docker = new Docker(),
    /** A hung daemon must not stall the loop forever: every call is aborted after this. */
    private readonly timeoutMs = 5000,
  ) {}

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  async nodeInfo(): Promise<NodeInfo> {
    // The typings omit info()'s options; dockerode does accept abortSignal there.
    const info = (await (this.docker.info as (opts: object) => Promise<unknown>).call(this.docker, { abortSignal: this.signal() })) as {
      Name?: string;
      NCPU?: number;
      Swarm?: { NodeID?: string };
    };
    return { name: info.Name ?? '', nodeId: info.Swarm?.NodeID ?? '', cores: info.NCPU && info.NCPU > 0 ? info.NCPU : 1 };
  }

  /** From now on, lists are kept by the daemon's container events (container-watch.ts). */
  watchContainers(opts: { now: () => number; onError?: (reason: string) => void }): ContainerWatch<ContainerRef[]> {
    this.watch?.close();
    this.watch = new ContainerWatch(() => this.listNow(), () => this.containerEvents(), opts);
    this.watch.start();
    return this.watch;
  }

  async listContainers(): Promise<ContainerRef[]> {
    return this.watch ? this.watch.current() : this.listNow();
  }

  private async containerEvents(): Promise<Readable> {
    // no timeout: the stream stays open for the agent's life
    return (await this.docker.getEvents({ filters: { type: ['container'], event: ['start', 'die', 'destroy'] } })) as unknown as Readable;
  }

  private async listNow(): Promise<ContainerRef[]> {
    const list = await this.docker.listContainers({ all: false, abortSignal: this.signal() });
    return list.map((c) => {
      const labels = c.Labels ?? {};
      return { id: c.Id, service: labels[SERVICE_LABEL] ?? '', task: labels[TASK_LABEL] ?? '', labels };
    });
  }

  async stats(id: string): Promise<RawStats | null> {
    try {
      // dockerode puts these options in the query string: /containers/{id}/stats?stream=false&one-shot=true
      return (await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true, abortSignal: this.signal() } as {
        stream: false;
        'one-shot': boolean;
      })) as RawStats;
    } catch (err) {
      if (isGone(err)) return null;
      throw err;
    }
  }

  async cpuLimits(id: string): Promise<CpuLimits | null> {
    return (await this.inspect(id))?.limits ?? null;
  }

  /** Sends the container its own stop signal, as `docker stop` would first; no wait, no SIGKILL. */
  async sendStopSignal(id: string): Promise<string | null> {
    try {
      const container = this.docker.getContainer(id);
      const info = await container.inspect({ abortSignal: this.signal() } as object);
      const signal = (info.Config as { StopSignal?: string } | undefined)?.StopSignal || 'SIGTERM';
      await container.kill({ signal, abortSignal: this.signal() } as object);
      return signal;
    } catch (err) {
      if (isGone(err) || (err as { statusCode?: number }).statusCode === 409) return null; // 409: not running any more
      throw err;
    }
  }

  async inspect(id: string): Promise<ContainerProcess | null> {
    try {
      const info = await this.docker.getContainer(id).inspect({ abortSignal: this.signal() } as object);
      const host = info.HostConfig as { NanoCpus?: number; CpuQuota?: number; CpuPeriod?: number };
      return {
        pid: info.State?.Pid ?? 0,
        limits: { nanoCpus: host.NanoCpus ?? 0, cpuQuota: host.CpuQuota ?? 0, cpuPeriod: host.CpuPeriod ?? 0 },
      };
    } catch (err) {
      if (isGone(err)) return null;
      throw err;
    }
  }
}
