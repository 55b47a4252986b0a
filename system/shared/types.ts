/** One container's metrics from one agent sample. Percentages are 0–100. */
export interface ContainerMetrics {
  cpu: number; // % of the container's CPU limit (else of the node's cores)
  mem: number; // % of the memory limit: (usage − inactive_file) / limit
  mem_mb: number;
  net: number; // % of link_mbps, (rx + tx) / link
  rx: number; // Mbps
  tx: number; // Mbps
}

export type ScenarioName = 'scenario1_migration' | 'scenario2_scaling';

/** Timing phases of DESIGN.md §4. */
export type Phase = 'T0' | 'T1' | 'T2' | 'T3' | 'T4' | 'T5' | 'T6';
