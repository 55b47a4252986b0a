import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SshTarget } from './endpoint.ts';
import { DialStdioStream } from './dial-stdio-stream.ts';
import { toRemoteHostError } from './remote-host-error.ts';
import { connectSsh, type ConnectOptions, type SshConnection } from './ssh-connect.ts';

/**
 * An HTTP agent that carries each Docker API request over `docker system dial-stdio` on one
 * persistent SSH connection per host. docker-modem's own ssh transport opens a new SSH connection
 * (TCP, key exchange, login) for every request, cannot go through a jump host, and only an SSH
 * agent logs in with it; this one uses connectSsh, so host keys, key files and the jump host
 * work the same for every Docker call. The connection is made on first use and again after it
 * breaks; it does not keep the process alive between requests.
 */
export class SshDockerAgent extends Agent {
  private connection: Promise<SshConnection> | undefined;

  constructor(
    readonly target: SshTarget,
    private readonly connectOptions: ConnectOptions = {},
  ) {
    super({ keepAlive: false });
  }

  private connect(): Promise<SshConnection> {
    const current = this.connection;
    if (current) {
      return current.then((c) => {
        if (!c.closed) return c;
        if (this.connection === current) this.connection = undefined;
        return this.connect();
      });
    }
    const next = connectSsh(this.target, this.connectOptions);
    this.connection = next;
    next.catch(() => {
      // the next request tries again; this one gets the error through its callback
      if (this.connection === next) this.connection = undefined;
    });
    return next;
  }

  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const done = callback ?? (() => undefined);
    this.connect().then(
      (c) => {
        c.hold();
        let released = false;
        const release = () => {
          if (!released) c.release();
          released = true;
        };
        try {
          c.client.exec('docker system dial-stdio', (err, stream) => {
            if (err) {
              release();
              done(toRemoteHostError(this.target.name, err), undefined as unknown as Duplex);
              return;
            }
            stream.once('close', release);
            done(null, new DialStdioStream(stream, this.target.name));
          });
        } catch (err) {
          // ssh2 throws "Not connected" when the connection broke since it was handed out
          release();
          done(toRemoteHostError(this.target.name, c.lastError ?? err), undefined as unknown as Duplex);
        }
      },
      (err: unknown) => done(toRemoteHostError(this.target.name, err), undefined as unknown as Duplex),
    );
    return undefined;
  }

  /** Ends the SSH connection (requests after this make a new one). */
  close(): void {
    const c = this.connection;
    this.connection = undefined;
    c?.then((x) => x.close(), () => undefined);
    super.destroy();
  }
}
