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
  const info = await swarmInfo(manager.docker);
  if (info.LocalNodeState !== 'active' || !info.ControlAvailable) {
    if (info.LocalNodeState !== 'inactive') await manager.docker.swarmLeave({ force: true });
    await manager.docker.swarmInit({ ListenAddr: `${manager.address}:2377`, AdvertiseAddr: manager.address });
  }
  const swarm = (await manager.docker.swarmInspect()) as { ID: string; JoinTokens: { Worker: string } };

  const known = new Set(((await manager.docker.listNodes()) as SwarmNode[]).map((n) => n.ID));

  await Promise.all(
    workers.map(async (w) => {
      const wi = await swarmInfo(w.docker);
      // a worker restarted over its old state reconnects by itself ('pending' for a moment)
      if ((wi.LocalNodeState === 'active' || wi.LocalNodeState === 'pending') && known.has(wi.NodeID)) return;
      if (wi.LocalNodeState !== 'inactive') await w.docker.swarmLeave({ force: true });
      await w.docker.swarmJoin({
        ListenAddr: `${w.address}:2377`,
        AdvertiseAddr: w.address,
        RemoteAddrs: [`${manager.address}:2377`],
        JoinToken: swarm.JoinTokens.Worker,
      });
    }),
  );
  const ids = await Promise.all([manager, ...workers].map(async (m) => (await swarmInfo(m.docker)).NodeID));
  await waitAllReady(manager, ids, timeoutMs);
}

interface SwarmNode {
  ID: string;
  Description: { Hostname: string };
  Status: { State: string };
  Spec: { Role: string };
}

/**
 * Waits until every member (by node ID) is Ready, and removes the entries of nodes that are no
 * longer members (a host that left and joined again appears twice otherwise).
 */
export async function waitAllReady(manager: SwarmMember, ids: string[], timeoutMs: number): Promise<SwarmNode[]> {
  const deadline = Date.now() + timeoutMs;
  const members = new Set(ids);
  for (;;) {
    const nodes = (await manager.docker.listNodes()) as SwarmNode[];
    for (const stale of nodes.filter((n) => !members.has(n.ID))) {
      await manager.docker.getNode(stale.ID).remove({ force: true });
    }
    const ready = new Set(nodes.filter((n) => n.Status.State === 'ready').map((n) => n.ID));
    const missing = nodes.filter((n) => members.has(n.ID) && !ready.has(n.ID)).map((n) => n.Description.Hostname);
    if (missing.length === 0 && ids.every((id) => ready.has(id))) return nodes.filter((n) => members.has(n.ID));
    if (Date.now() > deadline) throw new Error(`swarm nodes not Ready after ${timeoutMs} ms: ${missing.join(', ') || 'not listed yet'}`);
    await sleep(500);
  }
}
