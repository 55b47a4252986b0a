import { z } from 'zod';

const pct = z.number().min(0).max(100);
const seconds = z.number().min(0).max(86_400);

export const scenario1Schema = z
  .object({
    cpu_threshold: pct.default(75),
    memory_threshold: pct.default(80),
    network_threshold_max: pct.default(35),
    consecutive_breaches: z.number().int().min(1).max(100).default(2),
    cooldown_period: seconds.default(30),
    // A task's first seconds (process start, the balancer's checks taking it in, counters with no
    // rate yet) read as high CPU with little network: scenario 1's signature, not a sick container.
    startup_grace_s: seconds.default(10),
  })
  .strict();

export const scenario2Schema = z
  .object({
    cpu_threshold: pct.default(75),
    memory_threshold: pct.default(80),
    network_threshold_min: pct.default(65),
    consecutive_breaches: z.number().int().min(1).max(100).default(2),
    scale_up_cooldown: seconds.default(60),
    scale_down_cooldown: seconds.default(180),
    min_replicas: z.number().int().min(1).max(1000).default(1),
    max_replicas: z.number().int().min(1).max(1000).default(10),
  })
  .strict()
  .refine((s) => s.min_replicas <= s.max_replicas, {
    message: 'min_replicas must be ≤ max_replicas',
    path: ['min_replicas'],
  });

export const monitoringSchema = z
  .object({
    poll_interval: z.number().min(0.1).max(60).default(1),
    /**
     * How soon a container whose breach run has begun is sampled again (seconds), instead of one
     * poll interval later: the alert of a breach that holds comes that much sooner, and only such a
     * container pays the extra sample. Unset, or not below poll_interval: no extra sample.
     */
    confirm_interval: z.number().min(0.05).max(60).optional(),
    link_mbps: z.number().positive().max(1_000_000).default(100),
  })
  .strict();

/** The rules and monitoring part of the config YAML (DESIGN.md §3), shared by agent and manager. */
export const rulesConfigSchema = z.object({
  scenarios: z
    .object({
      scenario1_migration: scenario1Schema.default(() => scenario1Schema.parse({})),
      scenario2_scaling: scenario2Schema.default(() => scenario2Schema.parse({})),
    })
    .strict()
    .default(() => ({ scenario1_migration: scenario1Schema.parse({}), scenario2_scaling: scenario2Schema.parse({}) })),
  monitoring: monitoringSchema.default(() => monitoringSchema.parse({})),
});

export type RulesConfig = z.infer<typeof rulesConfigSchema>;
