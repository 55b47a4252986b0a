import { LabPaths } from '../../lab/lab-paths.ts';
import { stateDir, type LabConfig, type LoadGeneratorSpec } from '../config/lab-config.ts';
import { parseLoadLog, renderLoadScript, shQuote, type LoadLogSummary, type LoadShape } from './load-script.ts';
import { generatorTarget, type SshTarget } from '../remote/endpoint.ts';
import { connectSsh, type ConnectOptions, type SshConnection } from '../remote/ssh-connect.ts';
import { briefCommand, sshExec } from '../remote/ssh-exec.ts';
import { sshLineChannel, type LineChannel } from '../remote/ssh-line-channel.ts';

/** One kind of traffic that every load generator sends (e.g. CPU-heavy and byte-heavy requests). */
export interface LoadStream {
  /** Names the script and its files on the generator: a-z, 0-9, -. */
  name: string;
  url: string;
  /**
   * Requests per second: of ONE generator, or a function giving generator i of n its share
   * (splitRates divides a total schedule so that the generators together send it).
   */
  shape: LoadShape | ((index: number, count: number) => LoadShape);
  /** The script stops by itself after this long whatever happens to this process. */
  maxDurationS: number;
  timeoutS?: number;
}

/** The files a script of a run owns on its generator (all under the run's folder). */
export interface ScriptFiles {
  logFile: string;
  pidFile: string;
  /** Created by requestFinish(): the script should stop starting work and end by itself. */
  stopFile: string;
}

/**
 * A script that is not a load schedule (e.g. the remote availability probe): rendered per generator
 * from the files it owns. It must write its pid to pidFile, remove it when it ends, and end by
 * itself after maxDurationS.
 */
export interface ScriptStream {
  name: string;
  render: (files: ScriptFiles, index: number, count: number) => string;
  maxDurationS: number;
}

export interface StreamLog {
  generator: string;
  stream: string;
  /** The script's log lines collected so far (`epoch_ms status latency_ms`). */
  text: string;
  running: boolean;
}

interface Started {
  generator: string;
  stream: string;
  pid: number;
  offset: number;
  text: string;
  running: boolean;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** ms from the start commands to the load scripts' common start: enough for the SSH round trips. */
const START_LEAD_MS = 300;

/** Generator `index` of `count`'s share of a total per-second schedule (the remainders go to the first ones). */
export function splitRates(rates: readonly number[], index: number, count: number): number[] {
  return rates.map((r) => Math.floor(r / count) + (index < r % count ? 1 : 0));
}

/**
 * The output of one poll command: per stream a header `@@ <stream> <log size> <running 0|1>`, the
 * log bytes after the previous offset, and a closing newline. Returns the complete lines only; a
 * partial last line (a request being logged right now) is fetched again by the next poll.
 */
export function parsePollOutput(out: string): { stream: string; running: boolean; lines: string }[] {
  return out
    .split(/^@@ /m)
    .slice(1)
    .map((section) => {
      const nl = section.indexOf('\n');
      const [stream, , running] = (nl < 0 ? section : section.slice(0, nl)).trim().split(' ');
      const raw = nl < 0 ? '' : section.slice(nl + 1);
      const body = raw.endsWith('\n') ? raw.slice(0, -1) : raw; // the closing echo's newline
      return { stream, running: running === '1', lines: body.slice(0, body.lastIndexOf('\n') + 1) };
    });
}

/**
 * A load generator's SSH login as lab.yaml gives it. The local lab made the generators' sshd, so
 * its client key and its known_hosts are the defaults there.
 */
export function generatorLogin(lab: LabConfig, g: LoadGeneratorSpec): SshTarget {
  const target = generatorTarget(g);
  if (lab.kind !== 'local') return target;
  const paths = new LabPaths(stateDir(lab)).ssh;
  return { ...target, key: target.key ?? paths.clientKey, knownHosts: target.knownHosts ?? paths.knownHosts };
}

interface Host {
  spec: LoadGeneratorSpec;
  conn: SshConnection;
}

export interface LoadGeneratorsOptions {
  runId?: string;
  log?: (line: string) => void;
  stopOnSignal?: boolean;
  /** Bound on each command on a generator (default 30 s; the longest, start and stop, wait about 5 s). */
  commandTimeoutMs?: number;
  ssh?: ConnectOptions;
}

/**
 * The lab's load generators over SSH: uploads a generated POSIX sh script per stream to a per-run
 * folder under /tmp, starts it detached (its own session, so one signal reaches its curl children
 * too), collects its log incrementally, and kills whatever it started on stop() — which
 * `await using` or a `finally` always reaches. The scripts also end by themselves after
 * maxDurationS, so even a killed control process leaves no load running for long.
 */
export class LoadGenerators implements AsyncDisposable {
  private readonly started: Started[] = [];
  private stopped = false;
  private listening = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    // stop what runs on the generators, then let the signal do what it would have done
    const timer = setTimeout(() => process.kill(process.pid, signal), 5000);
    void this.stop()
      .catch((err: Error) => process.stderr.write(`${err.message}\n`))
      .finally(() => {
        clearTimeout(timer);
        process.kill(process.pid, signal);
      });
  };

  private constructor(
    private readonly runId: string,
    private readonly hosts: Host[],
    private readonly log: (line: string) => void,
    private readonly stopOnSignal: boolean,
    private readonly commandTimeoutMs: number,
  ) {}

  /**
   * Connects to every load generator of the lab (all or nothing). With stopOnSignal (default), a
   * SIGINT or SIGTERM while scripts run stops them first and then ends the process as the signal would.
   */
  static async connect(lab: LabConfig, opts: LoadGeneratorsOptions = {}): Promise<LoadGenerators> {
    if (lab.load_generators.length === 0) throw new Error('lab has no load_generators');
    const runId = opts.runId ?? `${Date.now().toString(36)}-${process.pid}`;
    if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new Error(`runId must be [A-Za-z0-9._-]+, got ${runId}`);
    const hosts: Host[] = [];
    try {
      for (const spec of lab.load_generators) {
        // a failed login is a RemoteHostError naming the generator and its user@address:port
        hosts.push({ spec, conn: await connectSsh(generatorLogin(lab, spec), opts.ssh) });
      }
    } catch (err) {
      for (const h of hosts) h.conn.close();
      throw err;
    }
    return new LoadGenerators(runId, hosts, opts.log ?? (() => {}), opts.stopOnSignal ?? true, opts.commandTimeoutMs ?? 30_000);
  }

  /**
   * The run's folder on one generator. Named after the generator too: generators that share a
   * filesystem (the local lab's, or hosts with a shared /tmp) must not share pid and log files.
   */
  runDir(generator: string): string {
    return `/tmp/swarmguard-load-${this.runId}-${generator}`;
  }

  get generators(): string[] {
    return this.hosts.map((h) => h.spec.name);
  }

  private async exec(h: Host, command: string, stdin?: string): Promise<string> {
    const r = await sshExec(h.conn, command, { timeoutMs: this.commandTimeoutMs, ...(stdin === undefined ? {} : { stdin }) });
    if (r.code !== 0) throw new Error(`${h.spec.name}: ${briefCommand(command)} exited ${r.code ?? `on ${r.signal}`}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /** Uploads and starts every stream on every generator; on any failure stops what did start. */
  async start(streams: readonly (LoadStream | ScriptStream)[]): Promise<void> {
    if (this.stopped) throw new Error('load generators already stopped');
    for (const s of streams) if (!NAME.test(s.name)) throw new Error(`stream name must match ${NAME}, got ${s.name}`);
    if (this.stopOnSignal && !this.listening) {
      // once per object, however many starts (a calibration starts a stream per step)
      this.listening = true;
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    }
    try {
      await Promise.all(
        this.hosts.map(async (h) => {
          await this.exec(h, `mkdir -p ${shQuote(this.runDir(h.spec.name))}`);
          const index = this.hosts.indexOf(h);
          for (const s of streams) {
            const base = `${this.runDir(h.spec.name)}/${s.name}`;
            const files: ScriptFiles = { logFile: `${base}.log`, pidFile: `${base}.pid`, stopFile: `${base}.stop` };
            let script: string;
            if ('render' in s) {
              script = s.render(files, index, this.hosts.length);
            } else {
              const shape = typeof s.shape === 'function' ? s.shape(index, this.hosts.length) : s.shape;
              // phase: the generators' requests interleave instead of leaving at the same instants
              script = renderLoadScript({ ...shape, url: s.url, maxDurationS: s.maxDurationS, timeoutS: s.timeoutS, logFile: files.logFile, pidFile: files.pidFile, phase: index / this.hosts.length } as Parameters<typeof renderLoadScript>[0]);
            }
            await this.exec(h, `cat > ${shQuote(`${base}.sh`)}`, script);
          }
        }),
      );
      // started together, and a load script's schedule begins at the same instant on every generator
      const startAt = Date.now() + START_LEAD_MS;
      await Promise.all(
        this.hosts.flatMap((h) =>
          streams.map(async (s) => {
            const base = shQuote(`${this.runDir(h.spec.name)}/${s.name}`);
            const out = await this.exec(
              h,
              // a load script runs under bash where there is one: its requests then need no curl start (load-script.ts)
              `S=; command -v setsid >/dev/null 2>&1 && S=setsid; SH=sh; ${'render' in s ? '' : 'command -v bash >/dev/null 2>&1 && SH=bash; '}` +
                `nohup $S $SH ${base}.sh ${'render' in s ? '' : startAt} </dev/null >${base}.out 2>&1 & ` +
                `i=0; while [ ! -s ${base}.pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; cat ${base}.pid`,
            );
            const pid = Number.parseInt(out.trim(), 10);
            if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${h.spec.name}/${s.name}: no pid file within 5 s (got ${JSON.stringify(out.trim())})`);
            this.started.push({ generator: h.spec.name, stream: s.name, pid, offset: 0, text: '', running: true });
            this.log(`load ${h.spec.name}/${s.name}: pid ${pid}`);
          }),
        ),
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Fetches what each script logged since the last poll; returns every stream's log so far. */
  async poll(): Promise<StreamLog[]> {
    await Promise.all(
      this.hosts.map(async (h) => {
        const mine = this.started.filter((s) => s.generator === h.spec.name);
        if (mine.length === 0) return;
        // per stream: a header with the log's size and whether it runs, then the bytes after the offset up to that size
        const cmd = mine
          .map((s) => {
            const base = shQuote(`${this.runDir(h.spec.name)}/${s.stream}`);
            return `n=$(($(wc -c < ${base}.log 2>/dev/null || echo 0))); r=0; [ -f ${base}.pid ] && r=1; echo "@@ ${s.stream} $n $r"; ` +
              `[ "$n" -gt ${s.offset} ] && tail -c +${s.offset + 1} ${base}.log | head -c $((n - ${s.offset})); echo`;
          })
          .join('; ');
        const out = await this.exec(h, cmd);
        for (const part of parsePollOutput(out)) {
          const s = mine.find((x) => x.stream === part.stream);
          if (!s) continue;
          s.text += part.lines;
          s.offset += Buffer.byteLength(part.lines);
          s.running = part.running;
        }
      }),
    );
    return this.logs();
  }

  /**
   * Asks the stream's scripts to end by themselves (creates their stop file): a script that honours
   * it lets its requests in flight finish and log, where stop() would kill them.
   */
  async requestFinish(stream: string): Promise<void> {
    if (!NAME.test(stream)) throw new Error(`stream name must match ${NAME}, got ${stream}`);
    await Promise.all(this.hosts.map((h) => this.exec(h, `touch ${shQuote(`${this.runDir(h.spec.name)}/${stream}.stop`)}`)));
  }

  /** Runs one command on a generator over its connection; throws on a non-zero exit. */
  async run(generator: string, command: string): Promise<string> {
    const h = this.hosts.find((x) => x.spec.name === generator);
    if (!h) throw new Error(`no load generator named ${generator} (have: ${this.generators.join(', ')})`);
    if (this.stopped) throw new Error(`load generators already stopped; cannot run \`${command.slice(0, 60)}\` on ${generator}`);
    return this.exec(h, command);
  }

  /**
   * A command on one generator that answers each line written to its stdin with one line (e.g. its
   * clock): one channel for many round trips, so each is one network round trip, not a new channel
   * and a login shell. Bounded: every request fails after timeoutMs; close() ends the command.
   */
  async lineChannel(generator: string, command: string, timeoutMs = 5000): Promise<LineChannel> {
    const h = this.hosts.find((x) => x.spec.name === generator);
    if (!h) throw new Error(`no load generator named ${generator} (have: ${this.generators.join(', ')})`);
    if (this.stopped || h.conn.closed) throw new Error(`${generator}: not connected${h.conn.lastError ? ` (${h.conn.lastError.message})` : ''}`);
    return sshLineChannel(h.conn, command, timeoutMs);
  }

  /** What a stream's script wrote on stdout/stderr on one generator (its last 2 KiB), for error messages. */
  async scriptOutput(generator: string, stream: string): Promise<string> {
    if (!NAME.test(stream)) throw new Error(`stream name must match ${NAME}, got ${stream}`);
    return this.run(generator, `tail -c 2048 ${shQuote(`${this.runDir(generator)}/${stream}.out`)} 2>/dev/null; true`);
  }

  logs(): StreamLog[] {
    return this.started.map((s) => ({ generator: s.generator, stream: s.stream, text: s.text, running: s.running }));
  }

  /** Parsed logs: per generator and stream, and all of them together. */
  summaries(): { generator: string; stream: string; summary: LoadLogSummary }[] {
    return this.started.map((s) => ({ generator: s.generator, stream: s.stream, summary: parseLoadLog(s.text) }));
  }

  get running(): boolean {
    return this.started.some((s) => s.running);
  }

  /** Polls until every script has ended by itself (bounded). */
  async waitDone(timeoutMs: number, intervalMs = 1000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      if (!this.running) return;
      if (Date.now() >= until) throw new Error(`load scripts still running after ${timeoutMs} ms: ${this.started.filter((s) => s.running).map((s) => `${s.generator}/${s.stream}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /**
   * Kills every script this object started and its requests in flight (TERM to its process group,
   * KILL after 3 s), collects the last log lines, removes the run folder, closes SSH. Idempotent;
   * checks /proc/<pid>/cmdline first so a reused pid is never killed.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    const errors: string[] = [];
    await this.poll().catch((err: Error) => errors.push(`final poll: ${err.message}`));
    await Promise.all(
      this.hosts.map(async (h) => {
        const mine = this.started.filter((s) => s.generator === h.spec.name);
        // `kill -SIG -pid`, no `--`: dash's and busybox's kill take `--` for a pid and fail, and only the script's own pid was killed
        const kills = mine
          .map((s) => `if grep -q ${shQuote(`${s.stream}.sh`)} /proc/${s.pid}/cmdline 2>/dev/null; then kill -$SIG -${s.pid} 2>/dev/null || kill -$SIG ${s.pid} 2>/dev/null; fi`)
          .join('; ');
        const alive = mine.map((s) => `grep -q ${shQuote(`${s.stream}.sh`)} /proc/${s.pid}/cmdline 2>/dev/null && a=1`).join('; ');
        const cmd = mine.length === 0
          ? `rm -rf ${shQuote(this.runDir(h.spec.name))}`
          : `SIG=TERM; ${kills}; i=0; while [ $i -lt 30 ]; do a=0; ${alive}; [ $a = 0 ] && break; sleep 0.1; i=$((i + 1)); done; ` +
            `SIG=KILL; ${kills}; rm -rf ${shQuote(this.runDir(h.spec.name))}; true`;
        try {
          await this.exec(h, cmd);
        } catch (err) {
          errors.push((err as Error).message);
        } finally {
          h.conn.close();
        }
      }),
    );
    for (const s of this.started) s.running = false;
    if (errors.length > 0) throw new Error(`stopping the load generators: ${errors.join('; ')}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
