import type { Clock } from './clock.ts';
import type { NodeInfo, ServiceInfo, SwarmPort } from './swarm-port.ts';

export function replicasOf(service: ServiceInfo): number | null {
  const mode = service.spec.Mode;
  if (mode?.Replicated) return mode.Replicated.Replicas ?? 1;
  return mode?.Global ? null : 1;
}

/**
 * A cached picture of the swarm's services and nodes, so that answering an alert does not wait for
 * the Docker API: entries older than `ttlMs` are refreshed in the background, and the caller waits
 * only when a name it needs is missing (and the cache is older than `missRefreshMs`).
 */
export class SwarmInventory {
  private services = new Map<string, ServiceInfo>();
  private nodes: NodeInfo[] = [];
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private pending?: Promise<void>;

  constructor(
    private readonly port: SwarmPort,
    private readonly clock: Clock,
    private readonly onError: (error: Error) => void,
    private readonly ttlMs = 2000,
    private readonly missRefreshMs = 500,
  ) {}

  refresh(): Promise<void> {
    this.pending ??= (async () => {
      try {
        const [services, nodes] = await Promise.all([this.port.listServices(), this.port.listNodes()]);
        this.services = new Map(services.map((s) => [s.name, s]));
        this.nodes = nodes;
        this.refreshedAt = this.clock.now();
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /** Makes sure the names are looked up, waiting only when needed. */
  async ensure(service: string, node?: string): Promise<void> {
    const age = this.clock.now() - this.refreshedAt;
    const missing = !this.services.has(service) || (node !== undefined && !this.node(node));
    if (age === Number.POSITIVE_INFINITY || (missing && age > this.missRefreshMs)) {
      await this.refresh();
    } else if (age > this.ttlMs) {
      this.refresh().catch((error: Error) => this.onError(error));
    }
  }

  service(name: string): ServiceInfo | undefined {
    return this.services.get(name);
  }

  serviceList(): ServiceInfo[] {
    return [...this.services.values()];
  }

  node(hostname: string): NodeInfo | undefined {
    return this.nodes.find((n) => n.hostname === hostname);
  }

  nodeById(id: string): NodeInfo | undefined {
    return this.nodes.find((n) => n.id === id);
  }

  nodeList(): NodeInfo[] {
    return [...this.nodes];
  }

  /** Hostname of a node id, refreshing once if the node is new. */
  async hostnameOf(id: string): Promise<string | undefined> {
    if (!id) return undefined; // a pending task has no node yet
    if (!this.nodeById(id)) await this.refresh();
    return this.nodeById(id)?.hostname;
  }
}
