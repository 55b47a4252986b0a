import type { IncomingMessage } from 'node:http';

/** How much of a refused upload the manager reads and throws away before answering. */
export const DRAIN_LIMITS = { maxBytes: 1 << 20, maxMs: 1000 };

/**
 * Reads and discards the rest of a request body the manager refuses (401, 413), bounded in bytes
 * and time. Answering and closing with the upload still unread makes the kernel reset the
 * connection, and a reset can reach the client before it reads the answer (nginx's "lingering
 * close" solves the same problem). Past the bounds the connection is closed anyway.
 */
export function drainRequest(raw: IncomingMessage, limits = DRAIN_LIMITS): Promise<void> {
  if (raw.complete || raw.destroyed || raw.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', finish);
      raw.off('close', finish);
      raw.off('error', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limits.maxBytes) finish();
    };
    const timer = setTimeout(finish, limits.maxMs);
    raw.on('data', onData);
    raw.once('end', finish);
    raw.once('close', finish);
    raw.once('error', finish);
    raw.resume();
  });
}
