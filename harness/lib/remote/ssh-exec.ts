import type { ClientChannel } from 'ssh2';
import { classifyFailure, RemoteHostError, toRemoteHostError } from './remote-host-error.ts';
import type { SshConnection } from './ssh-connect.ts';

export interface ExecResult {
  /** Untrimmed: a log's last newline matters to whoever parses it. */
  stdout: string;
  stderr: string;
  /** The command's exit status; null when a signal ended it. */
  code: number | null;
  signal?: string;
}

export interface ExecOptions {
  /** Written to the command's stdin. Without it stdin is closed at once, so a command that reads it ends instead of hanging. */
  stdin?: string;
  /** Bound on the whole command, opening its channel included (default 30 s). */
  timeoutMs?: number;
}

/** A command as error messages name it: its start, when it is a long script. */
export function briefCommand(command: string): string {
  return `\`${command.length > 120 ? `${command.slice(0, 117)}...` : command}\``;
}

/**
 * Runs one command on an open connection and collects its output and exit status; a non-zero
 * exit is a result, the caller decides what it means. Bounded: after timeoutMs the channel is
 * closed, so a hung command or a connection that died silently (there is no keepalive) fails
 * naming the host and the command instead of waiting forever.
 */
export function sshExec(conn: SshConnection, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const host = conn.target.name;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let settled = false;
    conn.hold();
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.release();
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new RemoteHostError(host, 'timeout', `${briefCommand(command)} did not finish within ${timeoutMs} ms`)));
      channel?.close();
    }, timeoutMs);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let exit: { code: number | null; signal?: string } | undefined;
    const onChannel = (err: Error | undefined, ch: ClientChannel) => {
      if (err) return settle(() => reject(new RemoteHostError(host, classifyFailure(err), `cannot run ${briefCommand(command)}: ${err.message}`, { cause: err })));
      if (settled) return void ch.close(); // opened after the timeout
      channel = ch;
      ch.on('data', (chunk: Buffer) => stdout.push(chunk));
      ch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      ch.on('exit', (code: number | null, signal?: string) => (exit = { code, ...(signal ? { signal } : {}) }));
      ch.on('error', (e: Error) => settle(() => reject(toRemoteHostError(host, e))));
      ch.once('close', () =>
        settle(() => {
          if (!exit) {
            const why = conn.lastError ? `: ${conn.lastError.message}` : '';
            return reject(new RemoteHostError(host, conn.lastError ? classifyFailure(conn.lastError) : 'other', `${briefCommand(command)} ended without an exit status${why}`));
          }
          resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), ...exit });
        }),
      );
      ch.end(options.stdin);
    };
    try {
      conn.client.exec(command, onChannel);
    } catch (err) {
      // ssh2 throws "Not connected" when the connection broke since it was opened
      settle(() => reject(toRemoteHostError(host, conn.lastError ?? err)));
    }
  });
}
