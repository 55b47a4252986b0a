import { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { RemoteHostError } from './remote-host-error.ts';

/**
 * The socket an HTTP request gets for one `docker system dial-stdio` channel. It holds back the
 * channel's end of data until the command's exit status is known: a dial-stdio that fails (no
 * docker CLI, no permission on the socket) sends its reason on stderr, then EOF, then the status,
 * and handing the EOF straight to the HTTP client would only say "socket hang up".
 */
export class DialStdioStream extends Duplex {
  private eof = false;
  private exitCode: number | null | undefined;
  private stderr = '';

  constructor(
    private readonly channel: ClientChannel,
    private readonly host: string,
  ) {
    super();
    channel.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) channel.pause();
    });
    channel.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-1000)));
    channel.on('end', () => {
      this.eof = true;
      this.settle();
    });
    channel.on('exit', (code: number | null) => {
      this.exitCode = code;
      this.settle();
    });
    channel.on('close', () => {
      this.eof = true;
      if (this.exitCode === undefined) this.exitCode = null;
      this.settle();
    });
    channel.on('error', (err: Error) => this.destroy(err));
  }

  private settle(): void {
    if (!this.eof || this.exitCode === undefined || this.destroyed) return;
    if (this.exitCode) {
      const detail = `docker system dial-stdio exited with ${this.exitCode}${this.stderr ? `: ${this.stderr.trim()}` : ''}`;
      this.destroy(new RemoteHostError(this.host, 'docker', detail));
    } else {
      this.push(null);
    }
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.channel.write(chunk, encoding, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.channel.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.channel.close();
    callback(err);
  }

  // what an HTTP client may ask of a net.Socket; a channel has no such knobs
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
