import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';

export interface SwarmMember {
  name: string;
  address: string;
  docker: Docker;
}

interface SwarmInfo {
  LocalNodeState: string;
  NodeID: string;
  ControlAvailable: boolean;
  Cluster?: { ID: string };
}

async function swarmInfo(d: Docker): Promise<SwarmInfo> {
  return ((await d.info()) as { Swarm: SwarmInfo }).Swarm;
}

/**
 * Forms (or repairs) a swarm: the manager initialises it unless it already manages one, each worker
 * joins unless it is already a member of that very cluster. A daemon stuck in another cluster
 * (leftovers) leaves it first.
 */
export async function formSwarm(manager: SwarmMember, workers: SwarmMember[], timeoutMs = 90_000): Promise<void> {
  let info = await swarmInfo(manager.docker);
  if (info.LocalNodeState !== 'active' || !info.ControlAvailable) {
    if (info.LocalNodeState !== 'inactive') await manager.docker.swarmLeave({ force: true });
    await manager.docker.swarmInit({ ListenAddr: `${manager.address}:2377`, AdvertiseAddr: manager.address });
    info = await swarmInfo(manager.docker);
  }
  const swarm = (await manager.docker.swarmInspect()) as { ID: string; JoinTokens: { Worker: string } };

  await Promise.all(
    workers.map(async (w) => {
      const wi = await swarmInfo(w.docker);
      if (wi.LocalNodeState === 'active' && wi.Cluster?.ID === swarm.ID) return;
      if (wi.LocalNodeState !== 'inactive') await w.docker.swarmLeave({ force: true });
      await w.docker.swarmJoin({
        ListenAddr: `${w.address}:2377`,
        AdvertiseAddr: w.address,
        RemoteAddrs: [`${manager.address}:2377`],
        JoinToken: swarm.JoinTokens.Worker,
      });
    }),
  );
  await waitAllReady(manager, [manager, ...workers].map((m) => m.name), timeoutMs);
}

interface SwarmNode {
  ID: string;
  Description: { Hostname: string };
  Status: { State: string };
  Spec: { Role: string };
}

/** Waits until every named host is a Ready node; drops stale Down entries of rejoined hosts. */
export async function waitAllReady(manager: SwarmMember, names: string[], timeoutMs: number): Promise<SwarmNode[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = (await manager.docker.listNodes()) as SwarmNode[];
    const ready = new Set(nodes.filter((n) => n.Status.State === 'ready').map((n) => n.Description.Hostname));
    for (const stale of nodes.filter((n) => n.Status.State === 'down' && ready.has(n.Description.Hostname))) {
      await manager.docker.getNode(stale.ID).remove({ force: true });
    }
    const missing = names.filter((n) => !ready.has(n));
    if (missing.length === 0) return nodes.filter((n) => n.Status.State === 'ready');
    if (Date.now() > deadline) throw new Error(`swarm nodes not Ready after ${timeoutMs} ms: ${missing.join(', ')}`);
    await sleep(500);
  }
}
