import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ConnectConfig } from 'ssh2';

// ssh2 is CommonJS: Node's ESM loader sees no named exports in it (vitest's interop does)
const { Client: SshClient } = ssh2;
import type { SshTarget } from './endpoint.ts';
import { hostVerifier } from './host-verifier.ts';
import { RemoteHostError, toRemoteHostError } from './remote-host-error.ts';
import { readSshKey } from './ssh-key.ts';

export interface ConnectOptions {
  /** Bound on reaching and logging in to each host (the jump host and the target each). */
  timeoutMs?: number;
  warn?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** One logged-in SSH connection; its TCP socket holds the process open only while a channel is in use. */
export interface SshConnection {
  readonly client: Client;
  readonly target: SshTarget;
  readonly closed: boolean;
  /** Why the connection broke after the login, for the error of whoever needs it next. */
  readonly lastError: Error | undefined;
  /** Marks a channel in use (the process must not exit under it) / no longer in use. */
  hold(): void;
  release(): void;
  close(): void;
}

interface Login {
  label: string;
  host: string;
  port: number;
  user: string;
  key?: string;
}

function loginConfig(t: SshTarget, login: Login, o: ConnectOptions) {
  const env = o.env ?? process.env;
  const verifier = hostVerifier({ host: login.host, port: login.port, knownHostsFile: t.knownHosts, trustOnFirstUse: t.trustOnFirstUse, warn: o.warn, home: o.home });
  let auth: Pick<ConnectConfig, 'privateKey' | 'passphrase' | 'agent'>;
  if (login.key) {
    try {
      auth = readSshKey(login.key, { host: login.label, passphraseEnv: t.passphraseEnv, env, home: o.home });
    } catch (err) {
      throw new RemoteHostError(login.label, 'key', (err as Error).message, { cause: err });
    }
  } else if (env.SSH_AUTH_SOCK) {
    auth = { agent: env.SSH_AUTH_SOCK };
  } else {
    throw new RemoteHostError(login.label, 'key', 'no ssh.key given and no SSH agent ($SSH_AUTH_SOCK unset): nothing to log in with');
  }
  const config: ConnectConfig = {
    host: login.host,
    port: login.port,
    username: login.user,
    ...auth,
    hostVerifier: verifier.verify,
    readyTimeout: o.timeoutMs ?? 10_000,
    ...(verifier.algorithms ? { algorithms: { serverHostKey: verifier.algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
  };
  return { config, verifier };
}

function handshake(t: SshTarget, login: Login, sock: Duplex, o: ConnectOptions): Promise<Client> {
  let prepared: ReturnType<typeof loginConfig>;
  try {
    prepared = loginConfig(t, login, o);
  } catch (err) {
    sock.destroy();
    return Promise.reject(err);
  }
  const { config, verifier } = prepared;
  const client = new SshClient();
  return new Promise((resolve, reject) => {
    let settled = false;
    // stays attached: a failed handshake can emit more errors (e.g. "Connection lost") after the first
    const onError = (err: Error) => {
      if (settled) return;
      settled = true;
      client.end();
      sock.destroy();
      reject(toRemoteHostError(login.label, verifier.failure() ?? err));
    };
    client.on('error', onError);
    client.once('ready', () => {
      settled = true;
      client.off('error', onError);
      resolve(client);
    });
    client.connect({ ...config, sock: sock as ConnectConfig['sock'] });
  });
}

/** A TCP stream to host:port opened by the jump host, bounded like a handshake. */
function forward(jump: Client, label: string, host: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new RemoteHostError(label, 'timeout', `the jump host did not open a connection to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    jump.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      clearTimeout(timer);
      if (err) reject(new RemoteHostError(label, 'unreachable', `the jump host could not connect to ${host}:${port}: ${err.message}`, { cause: err }));
      else resolve(stream);
    });
  });
}

/**
 * Logs in to a host (through its jump host when it has one), checking its host key against
 * known_hosts and authenticating with its key file or the agent. Every failure is a
 * RemoteHostError naming the host and what failed, within timeoutMs per hop.
 */
export async function connectSsh(t: SshTarget, o: ConnectOptions = {}): Promise<SshConnection> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const where = `${t.name} (${t.user}@${t.host}:${t.port})`;
  let socket: Socket;
  let jump: Client | undefined;
  let sock: Duplex;
  if (t.jump) {
    const j = t.jump;
    socket = netConnect({ host: j.host, port: j.port });
    jump = await handshake(t, { label: `${t.name}'s jump host ${j.user}@${j.host}:${j.port}`, host: j.host, port: j.port, user: j.user, key: j.key }, socket, o);
    try {
      sock = await forward(jump, where, t.host, t.port, timeoutMs);
    } catch (err) {
      jump.end();
      throw err;
    }
  } else {
    socket = netConnect({ host: t.host, port: t.port });
    sock = socket;
  }
  let client: Client;
  try {
    client = await handshake(t, { label: where, host: t.host, port: t.port, user: t.user, key: t.key }, sock, o);
  } catch (err) {
    jump?.end();
    throw err;
  }
  let closed = false;
  let inUse = 0;
  let lastError: Error | undefined;
  const onClose = () => {
    closed = true;
    jump?.end();
  };
  client.on('close', onClose);
  // after the login an error also closes the connection; whoever has a channel open gets its own
  // error, and lastError tells the next user why the connection is gone
  client.on('error', (err) => (lastError = err));
  jump?.on('error', (err) => (lastError = err));
  jump?.on('close', () => client.end());
  socket.unref();
  return {
    client,
    target: t,
    get closed() {
      return closed;
    },
    get lastError() {
      return lastError;
    },
    hold() {
      if (inUse++ === 0) socket.ref();
    },
    release() {
      if (--inUse === 0) socket.unref();
    },
    close() {
      closed = true;
      client.end();
      jump?.end();
    },
  };
}
