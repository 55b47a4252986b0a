import { spawn } from 'node:child_process';
import { connect as netConnect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type ServerChannel } from 'ssh2';

const { Server, utils } = ssh2;

/**
 * An ed25519 key pair for tests. ssh2's generateKeyPairSync now and then writes an ed25519 private
 * key that its own parser rejects as malformed (24 of 5,000 here), so a pair is made again until it parses.
 */
export function testKeyPair(opts?: { passphrase: string; cipher: string; rounds: number }): { private: string; public: string } {
  for (let i = 0; i < 20; i++) {
    const pair = opts ? utils.generateKeyPairSync('ed25519', opts) : utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.private, opts?.passphrase) instanceof Error)) return pair;
  }
  throw new Error('ssh2 made 20 ed25519 key pairs in a row that it cannot parse');
}

/**
 * An exec handler that runs the command with this machine's sh (stdin, stdout, stderr and exit
 * status through the channel), for tests of code that drives shell commands on a host; a channel
 * closed by the client kills the command.
 */
export function runWithLocalShell(command: string, channel: ServerChannel): void {
  // its own process group: closing the channel then ends what the command started too
  const child = spawn('sh', ['-c', command], { stdio: 'pipe', detached: true });
  child.stdin.on('error', () => undefined); // a command that exits without reading its stdin
  channel.pipe(child.stdin);
  child.stdout.pipe(channel, { end: false });
  child.stderr.pipe(channel.stderr, { end: false });
  let closed = false;
  channel.on('close', () => {
    closed = true;
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  });
  child.on('close', (code, signal) => {
    if (closed) return;
    if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
    else channel.exit(code ?? 255);
    channel.end();
  });
}

export interface FakeSshServer {
  port: number;
  /** The host's public key as a known_hosts line's "type base64" part. */
  hostKey: string;
  /** Commands run by exec, in order. */
  commands: string[];
  /** Successful logins so far. */
  readonly logins: number;
  close(): Promise<void>;
}

export interface FakeSshOptions {
  /** Public keys ("type base64 …") allowed to log in. */
  authorized: string[];
  /** What an exec of `command` does with its channel; unset: exits 127. */
  exec?: (command: string, channel: ServerChannel) => void;
  /** Allow direct-tcpip (a jump host's forwardOut) to 127.0.0.1. */
  forward?: boolean;
}

/**
 * A real SSH server (ssh2's) on 127.0.0.1 for tests of logins, host-key checks and channels,
 * with a fresh ed25519 host key; it never reaches beyond loopback.
 */
export async function startFakeSshServer(options: FakeSshOptions): Promise<FakeSshServer> {
  const host = testKeyPair();
  const allowed = options.authorized.map((k) => utils.parseKey(k)).filter((k) => !(k instanceof Error));
  const commands: string[] = [];
  let logins = 0;
  const clients = new Set<{ end: () => void }>();
  const server = new Server({ hostKeys: [host.private] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined); // a client the test refuses or drops
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const key = allowed.find((k) => !(k instanceof Error) && k.getPublicSSH().equals(ctx.key.data));
      if (!key || key instanceof Error) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      logins++;
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          commands.push(info.command);
          if (options.exec) options.exec(info.command, channel);
          else {
            channel.stderr.write(`sh: ${info.command.split(' ')[0]}: not found\n`);
            channel.exit(127);
            channel.end();
          }
        });
      });
      client.on('tcpip', (accept, reject, info) => {
        if (!options.forward || info.destIP !== '127.0.0.1') return reject();
        const out = netConnect({ host: info.destIP, port: info.destPort });
        out.once('connect', () => {
          const ch = accept() as unknown as Duplex;
          ch.pipe(out).pipe(ch);
        });
        out.once('error', () => reject());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    hostKey: host.public.trim().split(' ').slice(0, 2).join(' '),
    commands,
    get logins() {
      return logins;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}
