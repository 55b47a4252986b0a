import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { isGoneError } from './cgroup-files.ts';

/** What the cgroup port needs of an open counter file. */
export interface CounterReader {
  /** The current text, or null when the file (its process, its cgroup) is gone. */
  read(): string | null;
  close(): void;
}

/** Opens a counter file, or null when it does not exist. */
export type OpenCounter = (path: string) => CounterReader | null;

/** One buffer for every read: the agent reads its files one after another, never two at once. */
const BUFFER = Buffer.alloc(64 * 1024);

/**
 * A kernel counter file (cgroup or /proc) kept open and re-read from offset 0 each sample: the
 * kernel regenerates its text on every read from the start, and the open/close of a fresh
 * readFileSync cost most of a sample's CPU (on the lab host 12–28 µs per file against 2–11 µs).
 * A held /proc/<pid>/… file answers ESRCH once its process has exited, so it cannot be fooled by a
 * reused pid; a held cgroup file answers ENODEV once its cgroup is removed (holding it does not
 * stop the removal).
 */
export class CounterFile implements CounterReader {
  private constructor(
    readonly path: string,
    private fd: number | null,
  ) {}

  /** Null when the file does not exist (ENOENT and kin); other errors are thrown. */
  static open(path: string): CounterFile | null {
    try {
      return new CounterFile(path, openSync(path, 'r'));
    } catch (err) {
      if (isGoneError(err)) return null;
      throw err;
    }
  }

  /** The file's current text, or null when it (or its process, its cgroup) is gone or it was closed. */
  read(): string | null {
    if (this.fd === null) return null;
    try {
      const n = readSync(this.fd, BUFFER, 0, BUFFER.length, 0);
      // a text as long as the buffer may go on: read it whole the ordinary way (not seen in practice)
      return n < BUFFER.length ? BUFFER.toString('utf8', 0, n) : readFileSync(this.path, 'utf8');
    } catch (err) {
      if (isGoneError(err)) return null;
      throw err;
    }
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
