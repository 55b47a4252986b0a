import { readFileSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { rulesConfigSchema } from '../../shared/rules-schema.ts';
import { formatZodError } from '../../shared/zod-errors.ts';

const serviceName = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, 'a swarm service name');
const seconds = (max: number) => z.number().positive().max(max);

export const migrationSchema = z
  .object({
    /** least_loaded: `node.hostname==<target>` from agent reports (falls back to avoid_source); avoid_source: `node.hostname!=<from>`. */
    placement: z.enum(['least_loaded', 'avoid_source']).default('least_loaded'),
    timeout: seconds(600).default(60),
    /** How often a migration's tasks are read: each read adds up to this much to T5 and to T6. */
    poll_interval_ms: z.number().int().min(20).max(5000).default(50),
    update_attempts: z.number().int().min(1).max(20).default(5),
    failure_action: z.enum(['rollback', 'pause']).default('rollback'),
    /** UpdateConfig.Monitor: how long swarm watches a new task for failure. */
    monitor: seconds(600).default(5),
    /**
     * After a failed migration: how long to wait for swarm to withdraw a replacement that has not
     * started before the placement is restored (see README, "the timeout path").
     */
    withdraw_timeout: seconds(600).default(10),
    /**
     * The old node's agent sends the migrated task its stop signal as soon as swarm has ordered the
     * task to shut down, about 1 s before that node's dockerd would (handoff.ts, README).
     */
    early_stop: z.boolean().default(true),
    /**
     * Seconds between the replacement being ready and the old task's stop signal: the time the
     * balancer in front needs to take the replacement in (its check interval × rise). Unset or 0:
     * at once, for a balancer that knows the replacement as soon as swarm does.
     */
    early_stop_delay: z.number().min(0).max(10).optional(),
  })
  .strict();

export const scalingSchema = z
  .object({
    timeout: seconds(600).default(60),
    /** How often the scale-down loop looks at the metrics. */
    check_interval: seconds(600).default(5),
  })
  .strict();

export const nodeDetectionSchema = z
  .object({
    /** Off: node failures are left to swarm's own heartbeat (Down after ~10–15 s). */
    enabled: z.boolean().default(true),
    /** Reports (one per poll interval) a node's agent may miss before the node is suspected. */
    missed_reports: z.number().int().min(1).max(100).default(2),
    /** Probe rounds in a row that must find none of the node's published ports open. */
    probe_failures: z.number().int().min(1).max(20).default(2),
    /** Deadline of one TCP connect to a node's published port. */
    probe_timeout_ms: z.number().int().min(20).max(10_000).default(300),
    /** How often silent nodes are looked at and probed. */
    interval_ms: z.number().int().min(20).max(10_000).default(100),
    /** Ports to probe on every node besides the managed services' published ports (a node with no task published). */
    probe_ports: z.array(z.number().int().min(1).max(65_535)).max(64).default([]),
  })
  .strict();

export const managerSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).default(5000),
    host: z.string().min(1).default('0.0.0.0'),
    /** Services the manager may act on; absent = any service in the swarm. */
    services: z.array(serviceName).max(1000).optional(),
    body_limit: z.number().int().min(1024).max(1_048_576).default(16_384),
    /**
     * How many breach samples one alert stands for. `agent` (default): the agent only alerts after
     * `consecutive_breaches` samples, so one alert is enough. A number n: the alert counts n samples
     * and the rest must come from the manager's own counter over /report data.
     */
    alert_breach_credit: z.union([z.literal('agent'), z.number().int().min(1).max(100)]).default('agent'),
    /** Report entries older than this many poll intervals are dropped from the metrics cache. */
    metrics_ttl_polls: z.number().min(1).max(100).default(3),
    /** Deadline of every Docker API call, ms: a hung dockerd must not stall a loop or hold a service's lock. */
    docker_call_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
    migration: migrationSchema.default(() => migrationSchema.parse({})),
    scaling: scalingSchema.default(() => scalingSchema.parse({})),
    node_detection: nodeDetectionSchema.default(() => nodeDetectionSchema.parse({})),
  })
  .strict();

export const managerConfigSchema = rulesConfigSchema
  .extend({ manager: managerSchema.default(() => managerSchema.parse({})) })
  .strict();

export type ManagerConfig = z.infer<typeof managerConfigSchema>;
export type ManagerSection = ManagerConfig['manager'];

export class ConfigError extends Error {}

/** Overrides from the environment and the command line; CLI wins over env, env over the file. */
export interface ConfigOverrides {
  file?: string;
  port?: number;
  host?: string;
  services?: string[];
  /** manager.docker_call_timeout_ms: a shorter deadline for one run (a test that freezes dockerd). */
  dockerCallTimeoutMs?: number;
  /** manager.node_detection.enabled: one run with swarm's own node-failure handling only. */
  nodeDetection?: boolean;
}

function toPort(raw: string, origin: string): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${origin}: got ${JSON.stringify(raw)}, expected a port number 0–65535`);
  return Number(raw);
}

function toList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

export function overridesFrom(env: NodeJS.ProcessEnv, argv: string[]): ConfigOverrides {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, services: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const o: ConfigOverrides = {};
  const file = values.config ?? env.CONFIG_FILE;
  if (file) o.file = file;
  if (values.port !== undefined) o.port = toPort(values.port, '--port');
  else if (env.PORT) o.port = toPort(env.PORT, 'PORT');
  const host = values.host ?? env.HOST;
  if (host) o.host = host;
  const services = values.services ?? env.MANAGED_SERVICES;
  if (services !== undefined) o.services = toList(services);
  if (env.DOCKER_CALL_TIMEOUT_MS) {
    if (!/^\d+$/.test(env.DOCKER_CALL_TIMEOUT_MS)) throw new ConfigError(`DOCKER_CALL_TIMEOUT_MS: got ${JSON.stringify(env.DOCKER_CALL_TIMEOUT_MS)}, expected milliseconds`);
    o.dockerCallTimeoutMs = Number(env.DOCKER_CALL_TIMEOUT_MS);
  }
  if (env.NODE_DETECTION !== undefined && env.NODE_DETECTION !== '') {
    if (!/^(on|off)$/.test(env.NODE_DETECTION)) throw new ConfigError(`NODE_DETECTION: got ${JSON.stringify(env.NODE_DETECTION)}, expected on or off`);
    o.nodeDetection = env.NODE_DETECTION === 'on';
  }
  return o;
}

/** Parses and validates YAML text plus overrides; errors name the key, the value and the expectation. */
export function parseConfig(yamlText: string, overrides: ConfigOverrides = {}, origin = 'config'): ManagerConfig {
  let raw: unknown;
  try {
    raw = yamlText.trim() === '' ? {} : parseYaml(yamlText, { logLevel: 'error' });
  } catch (error) {
    throw new ConfigError(`${origin}: not valid YAML: ${(error as Error).message}`);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${origin}: expected a mapping at the top level`);
  const doc = structuredClone(raw) as Record<string, unknown>;
  const manager = (doc.manager ?? {}) as Record<string, unknown>;
  if (typeof manager !== 'object' || manager === null || Array.isArray(manager)) {
    throw new ConfigError(`${origin}: manager: got ${JSON.stringify(doc.manager)}, expected a mapping`);
  }
  if (overrides.port !== undefined) manager.port = overrides.port;
  if (overrides.host !== undefined) manager.host = overrides.host;
  if (overrides.services !== undefined) manager.services = overrides.services;
  if (overrides.dockerCallTimeoutMs !== undefined) manager.docker_call_timeout_ms = overrides.dockerCallTimeoutMs;
  if (overrides.nodeDetection !== undefined) {
    const section = manager.node_detection;
    manager.node_detection = { ...(typeof section === 'object' && section !== null && !Array.isArray(section) ? section : {}), enabled: overrides.nodeDetection };
  }
  doc.manager = manager;
  const result = managerConfigSchema.safeParse(doc);
  if (!result.success) throw new ConfigError(`${origin}: invalid configuration\n${formatZodError(result.error, doc)}`);
  return result.data;
}

/** Reads the file named by the overrides (none: defaults). A named file that is missing is an error. */
export function loadConfig(overrides: ConfigOverrides): ManagerConfig {
  if (!overrides.file) return parseConfig('', overrides, 'defaults');
  if (!existsSync(overrides.file)) throw new ConfigError(`CONFIG_FILE: ${overrides.file} does not exist`);
  return parseConfig(readFileSync(overrides.file, 'utf8'), overrides, overrides.file);
}

export const DEFAULT_TOKEN_FILE = '/run/secrets/swarmguard_token';

/**
 * The bearer token agents must present: SWARMGUARD_TOKEN, else the file SWARMGUARD_TOKEN_FILE
 * (default the Docker secret). The manager refuses to start without one.
 */
export function loadToken(env: NodeJS.ProcessEnv): string {
  const direct = env.SWARMGUARD_TOKEN?.trim();
  const file = env.SWARMGUARD_TOKEN_FILE ?? DEFAULT_TOKEN_FILE;
  const token = direct || (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
  if (!token) throw new ConfigError(`no token: set SWARMGUARD_TOKEN or provide the file ${file} (SWARMGUARD_TOKEN_FILE)`);
  if (token.length < 16) throw new ConfigError(`token: got ${token.length} characters, expected at least 16`);
  return token;
}
