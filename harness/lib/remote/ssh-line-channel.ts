import type { ClientChannel } from 'ssh2';
import { RemoteHostError } from './remote-host-error.ts';
import type { SshConnection } from './ssh-connect.ts';

export interface LineChannel {
  /** Writes one line and resolves with the next line the command prints (bounded by timeoutMs). */
  request(line: string): Promise<string>;
  close(): void;
}

/**
 * A command that answers each line on its stdin with one line, on one exec channel of an open
 * connection: each request is then one network round trip, with no channel set-up or shell
 * start-up in it (what a clock reading by round-trip midpoint needs).
 */
export async function sshLineChannel(conn: SshConnection, command: string, timeoutMs = 5000): Promise<LineChannel> {
  const host = conn.target.name;
  conn.hold();
  let stream: ClientChannel;
  try {
    stream = await new Promise<ClientChannel>((resolve, reject) => conn.client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch))));
  } catch (err) {
    conn.release();
    throw new RemoteHostError(host, 'other', `cannot run \`${command.slice(0, 60)}\`: ${(err as Error).message}`, { cause: err });
  }
  let buffer = '';
  let stderr = '';
  let ended = false;
  const waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      waiting.shift()?.resolve(line);
    }
  });
  stream.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-500)));
  stream.once('close', () => {
    ended = true;
    conn.release();
    const why = new RemoteHostError(host, 'other', `\`${command.slice(0, 60)}\` ended${stderr ? `: ${stderr.trim()}` : ''}`);
    for (const w of waiting.splice(0)) w.reject(why);
  });
  const request = (line: string) =>
    new Promise<string>((resolve, reject) => {
      if (ended) return reject(new RemoteHostError(host, 'other', `\`${command.slice(0, 60)}\` has ended${stderr ? `: ${stderr.trim()}` : ''}`));
      const timer = setTimeout(() => {
        // a late answer would be taken for the next request's: the channel is done
        ended = true;
        stream.close();
        reject(new RemoteHostError(host, 'timeout', `no answer from \`${command.slice(0, 60)}\` within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.push({
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      stream.write(`${line}\n`);
    });
  return { request, close: () => void stream.end() };
}
