import type Docker from 'dockerode';
import type { LabConfig, LabNode } from '../config/lab-config.ts';
import { swarmNodes } from '../config/lab-config.ts';
import { openDocker } from '../cluster/docker-clients.ts';
import { generatorTarget, nodeEndpoint, nodeSshTarget, type Endpoint, type SshTarget } from './endpoint.ts';
import { RemoteHostError, toRemoteHostError, type FailureKind } from './remote-host-error.ts';
import { connectSsh, type ConnectOptions } from './ssh-connect.ts';

/** Docker 20.10's API: the oldest engine the harness has run against (the local lab's). */
export const MIN_DOCKER_API = '1.41';

export interface HostCheck {
  host: string;
  ok: boolean;
  /** The Docker API version, or what failed. */
  detail: string;
  kind?: FailureKind;
}

export interface PreflightOptions {
  /** Per host: reaching it, logging in and the Docker API's answer together. */
  timeoutMs?: number;
  minApiVersion?: string;
  connect?: ConnectOptions;
  /** Also log in to the load generators over SSH (default: yes). */
  loadGenerators?: boolean;
  /** Also log in to every swarm node over its own SSH (what faults commands run through; default: no). */
  nodeLogins?: boolean;
  /** Seams for tests: a Docker client per endpoint, an SSH login per generator. */
  openDocker?: (endpoint: Endpoint, timeoutMs: number) => { docker: Pick<Docker, 'version'>; close: () => void };
  sshLogin?: (target: SshTarget, timeoutMs: number) => Promise<{ close: () => void }>;
}

/** A bad remote lab: every host that failed, each with what failed. */
export class RemoteLabError extends Error {
  constructor(readonly checks: HostCheck[]) {
    const bad = checks.filter((c) => !c.ok);
    super(`remote lab check failed on ${bad.length} of ${checks.length} hosts:\n${bad.map((c) => `  ${c.detail}`).join('\n')}`);
    this.name = 'RemoteLabError';
  }
}

export function apiAtLeast(version: string, min: string): boolean {
  const [a, b] = [version, min].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (Number.isNaN(d)) return false;
    if (d !== 0) return d > 0;
  }
  return true;
}

function bounded<T>(host: string, what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RemoteHostError(host, 'timeout', `${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

async function checkNode(lab: LabConfig, node: LabNode, timeoutMs: number, minApi: string, options: PreflightOptions): Promise<HostCheck> {
  let label = node.name;
  let close: () => void = () => undefined;
  try {
    let opened: ReturnType<NonNullable<PreflightOptions['openDocker']>>;
    try {
      const endpoint = nodeEndpoint(lab, node);
      label = `${node.name} (${endpoint.url})`;
      opened = options.openDocker ? options.openDocker(endpoint, timeoutMs) : openDocker(endpoint, { timeoutMs, connect: options.connect });
    } catch (err) {
      // an endpoint that cannot be parsed or a TLS file that cannot be read: nothing was sent yet
      throw new RemoteHostError(label, 'config', (err as Error).message, { cause: err });
    }
    close = opened.close;
    const v = (await bounded(label, 'the Docker API version request', timeoutMs, opened.docker.version())) as { ApiVersion?: string; Version?: string };
    const api = v.ApiVersion ?? '?';
    if (!apiAtLeast(api, minApi)) throw new RemoteHostError(label, 'api-too-old', `it speaks API ${api} (Docker ${v.Version ?? '?'}), the harness needs ${minApi} or newer`);
    return { host: node.name, ok: true, detail: `${label}: Docker ${v.Version ?? '?'}, API ${api}` };
  } catch (err) {
    const e = describe(label, err);
    return { host: node.name, ok: false, detail: e.message, kind: e.kind };
  } finally {
    close();
  }
}

/** A Docker error with an HTTP status is the daemon's answer: the host was reached and logged in to. */
function describe(label: string, err: unknown): RemoteHostError {
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && !(err instanceof RemoteHostError)) {
    const hint = status === 400 && /HTTPS server/i.test(String((err as Error).message)) ? ' (the daemon expects TLS: give the node tls: {ca, cert, key})' : '';
    return new RemoteHostError(label, 'docker', `${(err as Error).message}${hint}`, { cause: err });
  }
  return toRemoteHostError(label, err);
}

async function checkLogin(target: SshTarget, timeoutMs: number, options: PreflightOptions, what = ''): Promise<HostCheck> {
  const label = `${target.name}${what} (${target.user}@${target.host}:${target.port})`;
  try {
    const login = options.sshLogin ?? ((t: SshTarget, ms: number) => connectSsh(t, { ...options.connect, timeoutMs: ms }));
    const conn = await bounded(label, 'the SSH login', timeoutMs, login(target, timeoutMs));
    conn.close();
    return { host: target.name, ok: true, detail: `${label}: SSH login ok` };
  } catch (err) {
    const e = toRemoteHostError(label, err);
    return { host: target.name, ok: false, detail: e.message, kind: e.kind };
  }
}

/**
 * Checks a remote lab before anything is done on it: every swarm node's Docker API is reached
 * through its configured endpoint (SSH login with host-key check, or TLS) and answers with a recent
 * enough API version, and every load generator takes an SSH login. All hosts are checked at once,
 * each bounded by timeoutMs; the error lists each host that failed and what failed (unreachable,
 * SSH login refused, host key refused, TLS handshake failed, Docker API too old …).
 */
export async function checkRemoteLab(lab: LabConfig, options: PreflightOptions = {}): Promise<HostCheck[]> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const minApi = options.minApiVersion ?? MIN_DOCKER_API;
  const checks = await Promise.all([
    ...swarmNodes(lab).map((n) => checkNode(lab, n, timeoutMs, minApi, options)),
    ...(options.loadGenerators === false ? [] : lab.load_generators.map((g) => checkLogin(generatorTarget(g), timeoutMs, options))),
    ...(options.nodeLogins ? swarmNodes(lab).map((n) => checkLogin(nodeSshTarget(n), timeoutMs, options, "'s SSH for faults")) : []),
  ]);
  if (checks.some((c) => !c.ok)) throw new RemoteLabError(checks);
  return checks;
}
