import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatZodError } from '../../../system/shared/zod-errors.ts';
import { rulesConfigSchema } from '../../../system/shared/rules-schema.ts';
import { managerSchema } from '../../../system/manager/src/config.ts';

/** Where the local lab keeps its state: one fixed place per machine, shared by every clone. */
export const DEFAULT_LAB_DIR = process.env.SWARMGUARD_LAB_DIR ?? '/var/lib/swarmguard-lab';

const ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'an IPv4 address like 10.210.0.11');
const hostname = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, 'a lower-case host name (a-z, 0-9, -), at most 32 characters');
const url = z.string().url('an http(s) URL');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable (never the token itself)');

/** A swarm node's address: IPv4, or a DNS host name (its last label starts with a letter). */
const hostAddress = z
  .string()
  .regex(
    /^(?:\d{1,3}(?:\.\d{1,3}){3}|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)$/,
    'an IPv4 address like 10.210.0.11 or a DNS host name like node-1.lab.example',
  );

const sshJump = z
  .object({
    host: hostAddress,
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().min(1).default('root'),
    key: z.string().min(1).optional(),
  })
  .strict();

const ssh = z
  .object({
    user: z.string().min(1).default('root'),
    port: z.number().int().min(1).max(65535).default(22),
    /** Private key file (~ expands to the home directory); for the local lab the lab generates it. */
    key: z.string().min(1).optional(),
    /** NAME of the environment variable holding the key's passphrase, for an encrypted key. */
    passphrase_env: envName.optional(),
    /** OpenSSH known_hosts file the host keys are checked against; unset: ~/.ssh/known_hosts. */
    known_hosts: z.string().min(1).optional(),
    /** Accept a host missing from known_hosts (its fingerprint is printed); a changed key is still refused. */
    trust_on_first_use: z.boolean().optional(),
    /** A bastion the connection goes through (its host key is checked the same way). */
    jump: sshJump.optional(),
    /** Run the fault commands (faults.*) through `sudo -n`, for a login that is not root. */
    sudo: z.boolean().optional(),
  })
  .strict();

/**
 * How a remote lab's faults are made: shell commands run on the node over its SSH login ({node}
 * is replaced by the node's name). The defaults are the PRD's. A local lab stops its own daemons.
 */
const faults = z
  .object({
    stop_docker: z.string().min(1).default('systemctl stop docker'),
    start_docker: z.string().min(1).default('systemctl start docker'),
    /** Bound on each command; a start waits for the daemon, which may take a while on a small node. */
    timeout_s: z.number().min(1).max(600).default(90),
    /** The time-series store's host, for tsdb-down on a remote lab (unset: tsdb-down is skipped there). */
    tsdb: z
      .object({
        name: hostname,
        address: hostAddress,
        ssh: ssh.default(() => ({ user: 'root', port: 22 })),
        stop: z.string().min(1).default('systemctl stop influxdb'),
        start: z.string().min(1).default('systemctl start influxdb'),
      })
      .strict()
      .optional(),
  })
  .strict();

const node = z
  .object({
    name: hostname,
    address: hostAddress,
    /** Docker endpoint: unix:///path.sock, tcp://host:port or ssh://user@host. Local lab: derived. */
    docker: z.string().regex(/^(unix|tcp|ssh):\/\/.+/, 'unix://, tcp:// or ssh:// endpoint').optional(),
    ssh: ssh.optional(),
    /** TLS client files (PEM) for a tcp:// endpoint; with them the Docker API is spoken over https. */
    tls: z.object({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
  })
  .strict();

const loadGenerator = z.object({ name: hostname, address: ipv4, ssh: ssh.default(() => ({ user: 'root', port: 22 })) }).strict();

const app = z
  .object({
    service: hostname.default('web-stress'),
    image: z.string().min(1).default('swarmguard/web-stress'),
    replicas: z.number().int().min(1).max(100).default(1),
    limits: z
      .object({ cpus: z.number().positive().max(64).default(0.5), memory_mb: z.number().int().min(64).max(65536).default(512) })
      .strict()
      .default(() => ({ cpus: 0.5, memory_mb: 512 })),
    /** Docker's healthcheck of the app: swarm counts a task as running (T5) only once it passes. */
    healthcheck: z
      .object({
        path: z.string().startsWith('/').default('/health'),
        interval_s: z.number().min(0.1).max(60).default(1),
        timeout_s: z.number().min(0.1).max(60).default(1),
        retries: z.number().int().min(1).max(100).default(2),
      })
      .strict()
      .default(() => ({ path: '/health', interval_s: 1, timeout_s: 1, retries: 2 })),
    publish: z
      .object({ mode: z.enum(['host', 'ingress']).default('host'), port: z.number().int().min(1).max(65535).default(8080) })
      .strict()
      .default(() => ({ mode: 'host' as const, port: 8080 })),
    /** udp://host:port the network stress sends to; must be an address of the lab itself. */
    network_sink: z.string().regex(/^udp:\/\/[^:]+:\d+$/, 'udp://host:port').optional(),
    /**
     * How long a task keeps serving after SIGTERM with /health failing, so the load balancer takes it
     * out before its listener closes. Unset: the entrypoint's detection time (check interval × fall)
     * plus one interval; see drainMs().
     */
    drain_ms: z.number().int().min(0).max(60_000).optional(),
  })
  .strict();

/**
 * The load balancer in front of the app. For the local lab this configures its HAProxy; for a remote
 * lab it describes the user's balancer (the drain is derived from it, the report states the retries).
 */
const entrypointBalancer = z
  .object({
    /** How often the balancer checks each server's health path, and how many failures take it out. */
    check_interval_ms: z.number().int().min(10).max(60_000).default(250),
    fall: z.number().int().min(1).max(100).default(2),
    /** How many passed checks take a server (back) in. */
    rise: z.number().int().min(1).max(100).default(1),
    /**
     * What the balancer retries on the client's behalf: none; conn-failure (a refused or reset
     * connection, before any byte of the request was answered); all (also empty answers, timeouts,
     * 502/503, and redispatch to another server).
     */
    retries: z.enum(['none', 'conn-failure', 'all']).default('none'),
  })
  .strict();

const slo = z
  .object({
    scenario1_max_failed_requests: z.number().int().min(0).default(0),
    scenario1_max_downtime_ms: z.number().min(0).default(0),
    scenario1_max_mttr_s: z.number().positive().default(10),
    scenario2_max_scale_up_s: z.number().positive().default(5),
    max_alert_latency_ms: z.number().positive().default(1000),
    max_decision_latency_ms: z.number().positive().default(1000),
  })
  .strict();

const traffic = z
  .object({
    /**
     * CPU the traffic should put on the replica under test, in % of its limit, per step of the
     * scale-up (one replica, then two …): above the rules' cpu_threshold, below saturation.
     */
    target_cpu_pct: z.number().min(1).max(99).default(88),
    /** Network of that traffic in % of monitoring.link_mbps: above network_threshold_min. */
    target_network_pct: z.number().min(1).max(1000).default(90),
    /** Replicas the traffic drives the service to, one scale-up at a time. */
    target_replicas: z.number().int().min(2).max(100).default(3),
    /**
     * Per-replica CPU limits to try, largest first, when the app's own limit × target_replicas does
     * not fit the lab's workers; unset: the app's limit, then halves of it down to 0.1.
     */
    cpu_limit_fallbacks: z.array(z.number().positive().max(64)).optional(),
    /** Seconds of each calibration step (steady traffic at one rate, sampled by /metrics). */
    calibration_step_s: z.number().int().min(4).max(60).default(6),
    /**
     * once: a run measures each calibration (the same app, limit, targets and host) once, and its
     * later iterations reuse it; every_iteration: each iteration measures its own.
     */
    calibrate: z.enum(['once', 'every_iteration'], { message: 'calibrate must be once or every_iteration' }).default('once'),
    /**
     * CPU one /api/work request should cost the replica, ms: the calibration picks the iterations.
     * Small enough not to hold the app's event loop (and the health check queued behind it) for
     * long; large enough that the path's own cost per request (generator, balancer, kernel) does
     * not outweigh it on the host (README, Traffic calibrated on the lab).
     */
    pi_request_cpu_ms: z.number().min(1).max(200).default(40),
    /** KiB of the answers the calibration measures the network cost with (the traffic sizes its own). */
    data_kb: z.number().int().min(1).max(10_240).default(256),
    /** A limit at which the idle replica alone uses more than this % of it is not tried. */
    max_idle_pct: z.number().min(1).max(90).default(30),
    /** On a lab whose generators share one host with the swarm (the local lab): at most this % of its cores busy. */
    host_budget_pct: z.number().min(10).max(100).default(80),
  })
  .strict();

const scale = z
  .object({
    /** Nodes of the grown lab (manager included); the lab's own size is the other point of comparison. */
    nodes: z.number().int().min(3).max(60).default(10),
    /** Idle containers started on every node at both sizes, besides SwarmGuard and the app. */
    fillers_per_node: z.number().int().min(0).max(200).default(20),
    /** Scenario-1 migrations at each size; their medians are compared. */
    migrations: z.number().int().min(1).max(20).default(5),
    /** Seconds over which each agent's and the manager's CPU is read, the lab idle but for the fillers. */
    window_s: z.number().int().min(5).max(600).default(20),
  })
  .strict();

const probeFrom = z
  .array(z.enum(['control', 'load_generators'], { message: 'each entry must be control or load_generators' }))
  .min(1, 'name at least one of control, load_generators')
  .refine((a) => new Set(a).size === a.length, 'an entry is listed twice');

const experiments = z
  .object({
    iterations: z.number().int().min(1).max(1000).default(3),
    probe_interval_ms: z.number().int().min(10).max(10_000).default(100),
    /** A probe without an answer within this long counts as failed. */
    probe_timeout_ms: z.number().int().min(50).max(30_000).default(1000),
    /**
     * Where the availability probe runs: the control host and/or every load generator (over SSH).
     * Unset: the control host, plus the load generators when the lab has any.
     */
    probe_from: probeFrom.optional(),
    /** Per experiment (baseline, scenario1 …): where its probe runs, instead of probe_from. */
    probe_from_by_experiment: z.record(z.string().regex(/^[a-z0-9-]+$/, 'an experiment name like scenario2'), probeFrom).optional(),
    /**
     * The application path the availability probes request: cheap, always 200 while the task serves,
     * naming the serving container. Never the health path, which fails on purpose during a drain.
     */
    probe_path: z.string().regex(/^\/[^\s{}]*$/, 'a path: /, then no spaces or braces').default('/ping'),
    /** Traffic experiments (scenario 2, concurrent's B): load derived from a calibration on this lab. */
    traffic: traffic.default(() => traffic.parse({})),
    ramp_s: z.number().min(0).max(600).default(5),
    hold_s: z.number().min(1).max(3600).default(30),
    slo: slo.default(() => slo.parse({})),
    /** The scale experiment (local lab only): the lab at its own size and grown to `nodes`. */
    scale: scale.default(() => scale.parse({})),
    /**
     * The concurrent experiment's three copies of the app (A: CPU, B: traffic, C: memory), each
     * published on its own port and reached at the entrypoint's host on that port.
     */
    concurrent_apps: z
      .array(z.object({ name: hostname, port: z.number().int().min(1).max(65535) }).strict())
      .length(3, 'exactly three copies: A (CPU), B (traffic), C (memory)')
      .default(() => [
        { name: 'web-stress-a', port: 8081 },
        { name: 'web-stress-b', port: 8082 },
        { name: 'web-stress-c', port: 8083 },
      ]),
  })
  .strict();

/**
 * The configuration file agent and manager read (one Docker config for both): the rules of
 * DESIGN.md §3 and, optionally, the manager's own section (system/manager/README.md), e.g. its
 * migration's failure_action or timeout; absent, the manager's defaults apply.
 */
const swarmguardConfig = rulesConfigSchema.extend({ manager: managerSchema.optional() }).strict();

export const labSchema = z
  .object({
    kind: z.enum(['local', 'remote']),
    name: z.string().min(1).default('swarmguard-lab'),
    /** Local lab only: the bridge and the /24 its namespaces live in. */
    network: z
      .object({ bridge: z.string().regex(/^[a-z0-9-]{1,15}$/, 'an interface name of at most 15 characters'), host_address: ipv4 })
      .strict()
      .optional(),
    state_dir: z.string().startsWith('/').optional(),
    swarm: z.object({ manager: node, workers: z.array(node).min(1) }).strict(),
    entrypoint: url,
    entrypoint_balancer: entrypointBalancer.default(() => entrypointBalancer.parse({})),
    manager_api: url,
    registry: z.string().regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, 'host:port of an image registry'),
    load_generators: z.array(loadGenerator).default(() => []),
    influxdb: z.object({ url, org: z.string().min(1), bucket: z.string().min(1), token_env: envName }).strict(),
    app: app.default(() => app.parse({})),
    /** How SwarmGuard itself is deployed on the lab: its rules (DESIGN.md §3) and its token. */
    swarmguard: z
      .object({
        /** Name of the variable holding the agent→manager token; the local lab makes one if unset. */
        token_env: envName.default('SWARMGUARD_TOKEN'),
        config: swarmguardConfig.default(() => swarmguardConfig.parse({})),
      })
      .strict()
      .default(() => ({ token_env: 'SWARMGUARD_TOKEN', config: swarmguardConfig.parse({}) })),
    experiments: experiments.default(() => experiments.parse({})),
    faults: faults.default(() => faults.parse({})),
    /** Image builds of a remote lab: the base image the Dockerfiles start FROM (a mirror's, for an air-gapped lab). */
    build: z.object({ base_image: z.string().min(1).optional() }).strict().optional(),
  })
  .strict()
  .superRefine((lab, ctx) => {
    if (lab.kind === 'local' && !lab.network) {
      ctx.addIssue({ code: 'custom', path: ['network'], message: 'a local lab needs network: {bridge, host_address}' });
    }
    const names = [lab.swarm.manager, ...lab.swarm.workers, ...lab.load_generators].map((n) => n.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['swarm'], message: `host name ${dup} is used twice` });
    if (lab.load_generators.length === 0) {
      const lists: [(string | number)[], string[] | undefined][] = [
        [['experiments', 'probe_from'], lab.experiments.probe_from],
        ...Object.entries(lab.experiments.probe_from_by_experiment ?? {}).map(([k, v]): [(string | number)[], string[]] => [['experiments', 'probe_from_by_experiment', k], v]),
      ];
      for (const [path, list] of lists) {
        if (list?.includes('load_generators')) ctx.addIssue({ code: 'custom', path, message: 'includes load_generators, but the lab lists no load_generators' });
      }
    }
    const addrs = [lab.swarm.manager, ...lab.swarm.workers, ...lab.load_generators].map((n) => n.address);
    const dupAddr = addrs.find((a, i) => addrs.indexOf(a) !== i);
    if (dupAddr) ctx.addIssue({ code: 'custom', path: ['swarm'], message: `address ${dupAddr} is used twice` });
  });

export type LabConfig = z.infer<typeof labSchema>;
export type LabNode = z.infer<typeof node>;
export type LoadGeneratorSpec = z.infer<typeof loadGenerator>;

export class LabConfigError extends Error {
  constructor(file: string, detail: string) {
    super(`${file} is not a valid lab description:\n${detail}`);
    this.name = 'LabConfigError';
  }
}

/** Parses and validates lab YAML text; the error names each bad key, its value and what was expected. */
export function parseLab(text: string, file = 'lab.yaml'): LabConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { logLevel: 'error' }); // no warnings on stderr: what is wrong is reported below
  } catch (err) {
    throw new LabConfigError(file, `not YAML: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LabConfigError(file, `got ${raw === null ? 'an empty file' : typeof raw}, expected a mapping with kind, swarm, entrypoint …`);
  }
  const result = labSchema.safeParse(raw);
  if (!result.success) throw new LabConfigError(file, formatZodError(result.error, raw));
  return result.data;
}

export async function loadLab(file = process.env.SWARMGUARD_LAB ?? 'lab.yaml'): Promise<LabConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LabConfigError(file, `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseLab(text, file);
}

export type ProbeSource = 'control' | 'load_generators';

/**
 * Where an experiment's availability probe runs: experiments.probe_from_by_experiment[experiment],
 * else experiments.probe_from, else the control host plus the load generators when the lab has any.
 */
export function probeSources(lab: LabConfig, experiment?: string): ProbeSource[] {
  const own = experiment === undefined ? undefined : lab.experiments.probe_from_by_experiment?.[experiment];
  return own ?? lab.experiments.probe_from ?? ['control', ...(lab.load_generators.length > 0 ? (['load_generators'] as const) : [])];
}

/**
 * Drain after SIGTERM: as configured, else the balancer's detection (fall failed checks) plus one
 * more check interval, for the check already under way when the signal came. 750 ms with the local
 * lab's 250 ms × 2: 20 migrations lost no request with it (README, Migration MTTR).
 */
export function drainMs(lab: LabConfig): number {
  const b = lab.entrypoint_balancer;
  return lab.app.drain_ms ?? b.check_interval_ms * (b.fall + 1);
}

/**
 * Seconds between a migration's replacement being ready and the old task's stop signal
 * (manager.migration.early_stop_delay): as configured, else the balancer's time to take the
 * replacement in, rise passed checks (250 ms on the local lab). Without it the old task could fail
 * its checks before the replacement had passed one, and the balancer had no server for a moment:
 * seen once on the lab, 3 requests answered 503 in about 30 ms.
 */
export function earlyStopDelayS(lab: LabConfig): number {
  const b = lab.entrypoint_balancer;
  return lab.swarmguard.config.manager?.migration?.early_stop_delay ?? (b.check_interval_ms * b.rise) / 1000;
}

/** The SwarmGuard configuration file as deployed: lab.yaml's, with what is derived from the lab filled in; the manager fills its own defaults. */
export function deployedConfig(lab: LabConfig): Record<string, unknown> {
  const c = lab.swarmguard.config;
  return { ...c, manager: { ...c.manager, migration: { ...c.manager?.migration, early_stop_delay: earlyStopDelayS(lab) } } };
}

export function swarmNodes(lab: LabConfig): LabNode[] {
  return [lab.swarm.manager, ...lab.swarm.workers];
}

export function stateDir(lab: LabConfig): string {
  return lab.state_dir ?? DEFAULT_LAB_DIR;
}

/** The Docker endpoint of a node: as configured, or for the local lab the node's own socket. */
export function dockerEndpoint(lab: LabConfig, n: LabNode): string {
  if (n.docker) return n.docker;
  if (lab.kind === 'local') return `unix://${stateDir(lab)}/nodes/${n.name}/run/docker.sock`;
  return `ssh://${n.ssh?.user ?? 'root'}@${n.address}`;
}

/** The image reference of a system component in the lab's registry. */
export function imageRef(lab: LabConfig, component: string, tag = 'latest'): string {
  return `${lab.registry}/swarmguard/${component}:${tag}`;
}
