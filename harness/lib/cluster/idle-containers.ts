import type Docker from 'dockerode';

/**
 * Idle containers on one node's engine: plain containers (not a service), the lab's base image
 * running busybox `sleep`, named <prefix>-0, <prefix>-1 … and labelled swarmguard.idle=<prefix>
 * so that they are found and removed again, also after a failure. What the agent benchmark and the
 * scale experiment fill a node with: containers the agent samples, that cost the node next to nothing.
 */
export const IDLE_LABEL = 'swarmguard.idle';

const MiB = 1024 * 1024;

export async function idleContainers(docker: Docker, prefix: string): Promise<{ Id: string; Names: string[] }[]> {
  return docker.listContainers({ all: true, filters: { label: [`${IDLE_LABEL}=${prefix}`] } });
}

/** Removes every idle container of `prefix` on the node; returns how many there were. */
export async function removeIdleContainers(docker: Docker, prefix: string): Promise<number> {
  const list = await idleContainers(docker, prefix);
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  return list.length;
}

export async function pullImage(docker: Docker, ref: string): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

/** Brings the idle containers <prefix>-0 … <prefix>-(count−1) to exactly `count`, ten at a time. */
export async function setIdleCount(docker: Docker, opts: { image: string; prefix: string; count: number }): Promise<void> {
  const { image, prefix, count } = opts;
  const have = new Map((await idleContainers(docker, prefix)).map((c) => [c.Names[0]?.replace(/^\//, ''), c.Id]));
  const extra = [...have].filter(([name]) => Number(name?.split('-').pop()) >= count).map(([, id]) => id);
  await Promise.all(extra.map((id) => docker.getContainer(id).remove({ force: true })));
  const missing = Array.from({ length: count }, (_, n) => n).filter((n) => !have.has(`${prefix}-${n}`));
  for (let i = 0; i < missing.length; i += 10) {
    await Promise.all(
      missing.slice(i, i + 10).map(async (n) => {
        const c = await docker.createContainer({
          name: `${prefix}-${n}`,
          Image: image,
          Cmd: ['sleep', '3600'],
          Labels: { [IDLE_LABEL]: prefix },
          HostConfig: { Memory: 16 * MiB },
        });
        await c.start();
      }),
    );
  }
}
