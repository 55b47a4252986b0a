import { drainMs, type LabConfig } from './lab-config.ts';

/** Names of what SwarmGuard puts on a swarm. */
export const AGENT_SERVICE = 'swarmguard-agent';
export const MANAGER_SERVICE = 'swarmguard-manager';
export const CONFIG_TARGET = '/etc/swarmguard/config.yml';
export const TOKEN_SECRET_TARGET = 'swarmguard_token';

export interface SystemImages {
  agent: string;
  manager: string;
  'web-stress': string;
}

export interface SpecInputs {
  images: SystemImages;
  tokenSecret: { id: string; name: string };
  config: { id: string; name: string };
  influxTokenSecret?: { id: string; name: string };
}

const s = (seconds: number) => Math.round(seconds * 1e9);

function common(lab: LabConfig, inputs: SpecInputs) {
  const secrets = [
    { SecretID: inputs.tokenSecret.id, SecretName: inputs.tokenSecret.name, File: { Name: TOKEN_SECRET_TARGET, UID: '0', GID: '0', Mode: 0o400 } },
  ];
  if (inputs.influxTokenSecret) {
    secrets.push({ SecretID: inputs.influxTokenSecret.id, SecretName: inputs.influxTokenSecret.name, File: { Name: 'influx_token', UID: '0', GID: '0', Mode: 0o400 } });
  }
  return {
    secrets,
    configs: [{ ConfigID: inputs.config.id, ConfigName: inputs.config.name, File: { Name: CONFIG_TARGET, UID: '0', GID: '0', Mode: 0o444 } }],
    env: [`CONFIG_FILE=${CONFIG_TARGET}`, `SWARMGUARD_TOKEN_FILE=/run/secrets/${TOKEN_SECRET_TARGET}`, 'NODE_NAME={{.Node.Hostname}}'],
    mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }],
    labels: { 'swarmguard.component': 'true' },
    // host network: the agent reaches its own daemon and the manager is reachable at the node's address
    networks: [{ Target: 'host' }],
  };
}

/** The time-series store, for the agent's container_metrics and the manager's recovery_actions. */
function influxEnv(lab: LabConfig, inputs: SpecInputs): string[] {
  return [
    `INFLUX_URL=${lab.influxdb.url}`,
    `INFLUX_ORG=${lab.influxdb.org}`,
    `INFLUX_BUCKET=${lab.influxdb.bucket}`,
    ...(inputs.influxTokenSecret ? ['INFLUX_TOKEN_FILE=/run/secrets/influx_token'] : []),
  ];
}

/** The agent: one task per node (global), SwarmGuard's own containers carry a label it skips. */
export function agentSpec(lab: LabConfig, inputs: SpecInputs): Record<string, unknown> {
  const c = common(lab, inputs);
  const env = [
    ...c.env,
    `MANAGER_URL=${lab.manager_api}`,
    ...influxEnv(lab, inputs),
  ];
  // the host's /proc and cgroup tree, read-only: the agent reads container counters there (stats_source cgroup)
  const mounts = [
    ...c.mounts,
    { Type: 'bind', Source: '/proc', Target: '/host/proc', ReadOnly: true },
    { Type: 'bind', Source: '/sys/fs/cgroup', Target: '/host/sys/fs/cgroup', ReadOnly: true },
  ];
  return {
    Name: AGENT_SERVICE,
    Labels: { 'swarmguard.component': 'agent' },
    TaskTemplate: {
      ContainerSpec: { Image: inputs.images.agent, Env: env, Mounts: mounts, Secrets: c.secrets, Configs: c.configs, Labels: { 'swarmguard.component': 'agent' }, StopGracePeriod: s(5) },
      Networks: c.networks,
      RestartPolicy: { Condition: 'any', Delay: s(1) },
      Resources: { Limits: { NanoCPUs: s(0.5), MemoryBytes: 192 * 1024 * 1024 } },
    },
    Mode: { Global: {} },
    UpdateConfig: { Parallelism: 0, Order: 'stop-first', FailureAction: 'continue' },
  };
}

/** The manager: on a swarm manager node, where the Docker API can change services. */
export function managerSpec(lab: LabConfig, inputs: SpecInputs): Record<string, unknown> {
  const c = common(lab, inputs);
  const port = Number(new URL(lab.manager_api).port || 80);
  return {
    Name: MANAGER_SERVICE,
    Labels: { 'swarmguard.component': 'manager' },
    TaskTemplate: {
      ContainerSpec: {
        Image: inputs.images.manager,
        // only the application under test: test services of the lab tests are not the manager's business
        Env: [...c.env, `PORT=${port}`, `MANAGED_SERVICES=${lab.app.service}`, ...influxEnv(lab, inputs)],
        Mounts: c.mounts,
        Secrets: c.secrets,
        Configs: c.configs,
        Labels: { 'swarmguard.component': 'manager' },
        StopGracePeriod: s(5),
      },
      Networks: c.networks,
      Placement: { Constraints: ['node.role==manager'] },
      RestartPolicy: { Condition: 'any', Delay: s(1) },
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'pause' },
  };
}

/** Docker's healthcheck of a web-stress container listening on `port` (lab.yaml app.healthcheck). */
export function appHealthCheck(lab: LabConfig, port: number): Record<string, unknown> {
  const h = lab.app.healthcheck;
  return {
    // exec form: one process per check, no shell (each check runs inside the app's CPU quota)
    Test: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}${h.path}`],
    Interval: s(h.interval_s),
    Timeout: s(h.timeout_s),
    Retries: h.retries,
    StartPeriod: s(2),
  };
}

/** web-stress's wait, after the drain, for responses still being sent (its own default). */
const APP_INFLIGHT_MS = 5000;
/** Closing fastify and stopping stress take ~70 ms; the rest is room on a busy host. */
const APP_EXIT_MARGIN_MS = 3000;
/** Between the app's own hard exit (which logs why) and Docker's SIGKILL. */
const KILL_MARGIN_MS = 2000;

/**
 * web-stress's shutdown, all in ms: the drain (lab.yaml, see drainMs), the in-flight wait, the app's
 * own hard exit after both, and the stop grace period Docker gives before SIGKILL, above that exit.
 */
export function appShutdown(lab: LabConfig): { drainMs: number; inflightMs: number; hardExitMs: number; stopGraceMs: number } {
  const drain = drainMs(lab);
  const hardExitMs = drain + APP_INFLIGHT_MS + APP_EXIT_MARGIN_MS;
  return { drainMs: drain, inflightMs: APP_INFLIGHT_MS, hardExitMs, stopGraceMs: hardExitMs + KILL_MARGIN_MS };
}

/** The application under test, published in host mode behind the lab's load balancer (or the mesh). */
export function webStressSpec(lab: LabConfig, inputs: { images: Pick<SystemImages, 'web-stress'> }, replicas = lab.app.replicas): Record<string, unknown> {
  const a = lab.app;
  const port = a.publish.port;
  const stop = appShutdown(lab);
  const env = [
    'NODE_NAME={{.Node.Hostname}}',
    `PORT=${port}`,
    ...(a.network_sink ? [`NETWORK_SINK=${a.network_sink}`] : []),
    // the old task of a migration keeps serving until the balancer has taken it out
    `SHUTDOWN_DRAIN_MS=${stop.drainMs}`,
    `SHUTDOWN_INFLIGHT_MS=${stop.inflightMs}`,
    `SHUTDOWN_TIMEOUT_MS=${stop.hardExitMs}`,
  ];
  return {
    Name: a.service,
    Labels: { 'swarmguard.managed': 'true' },
    TaskTemplate: {
      ContainerSpec: {
        Image: inputs.images['web-stress'],
        Env: env,
        StopGracePeriod: s(stop.stopGraceMs / 1000),
        HealthCheck: appHealthCheck(lab, port),
      },
      Placement: { Constraints: ['node.role==worker'] },
      Resources: { Limits: { NanoCPUs: s(a.limits.cpus), MemoryBytes: a.limits.memory_mb * 1024 * 1024 } },
      RestartPolicy: { Condition: 'any', Delay: s(5) },
    },
    Mode: { Replicated: { Replicas: replicas } },
    UpdateConfig: { Parallelism: 1, Delay: 0, Order: 'start-first', FailureAction: 'rollback', Monitor: s(5) },
    RollbackConfig: { Parallelism: 1, Order: 'start-first' },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: port, PublishedPort: port, PublishMode: a.publish.mode }] },
  };
}
