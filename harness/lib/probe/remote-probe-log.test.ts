import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseLab, probeSources } from '../config/lab-config.ts';
import { parseRemoteClock } from '../cluster/lab-clocks.ts';
import { parseRemoteProbeLog, parseRemoteProbeLogs } from './remote-probe-log.ts';
import { renderRemoteProbeScript } from './remote-probe-script.ts';

const START_US = 1_795_380_000_000_000;
const line = (slot: number, lateUs: number, code: string, tt: string, skipped = 0, servedBy = 'b2966abcfc77', node = 'worker-1') =>
  [slot, START_US + slot * 100_000, START_US + slot * 100_000 + lateUs, code, tt, skipped, servedBy, node].join('\t');
const header = `# clock date-ns 1\n# start ${START_US} 100000\n`;

describe('parseRemoteProbeLog', () => {
  it('puts send times on the control clock, reads status, latency and headers, and measures lateness as jitter', () => {
    const text = header + [line(1, 4000, '200', '0.004200'), line(0, 2000, '200', '0.003000'), line(2, 12_000, '000', '2.001000', 0, '-', '-')].join('\n') + '\n';
    const log = parseRemoteProbeLog(text, 'alpine-1', -25.5); // the generator's clock is 25.5 ms ahead
    expect(log.clock).toEqual({ name: 'date-ns', resolutionUs: 1 });
    expect(log.startedAt).toBeCloseTo(START_US / 1000 - 25.5, 6);
    expect(log.intervalMs).toBe(100);
    expect(log.samples.map((s) => s.seq)).toEqual([0, 1, 2]);
    expect(log.samples[0]).toEqual({ seq: 0, sentAt: START_US / 1000 + 2 - 25.5, status: 200, ok: true, latencyMs: 3, servedBy: 'b2966abcfc77', node: 'worker-1', source: 'alpine-1' });
    expect(log.samples[2]).toMatchObject({ status: 0, ok: false, servedBy: null, node: null, error: 'no answer (curl)', source: 'alpine-1' });
    expect(log.samples[2].latencyMs).toBeCloseTo(2001, 6);
    expect(log.jitter.meanMs).toBeCloseTo(6, 6);
    expect(log.jitter.maxMs).toBeCloseTo(12, 6);
    expect(log.truncated).toBe(0);
  });

  it('leaves out a last line cut short while it was being written, and counts it', () => {
    const full = header + line(0, 1000, '200', '0.002') + '\n' + line(1, 1000, '200', '0.002') + '\n';
    const cut = full + line(2, 1000, '200', '0.002').slice(0, 20);
    const log = parseRemoteProbeLog(cut, 'alpine-2', 0);
    expect(log.samples).toHaveLength(2);
    expect(log.truncated).toBe(1);
  });

  it('reports the skipped slots the script counted', () => {
    const text = header + [line(0, 0, '200', '0.001'), line(4, 500, '200', '0.001', 3)].join('\n') + '\n';
    expect(parseRemoteProbeLog(text, 'g', 0).jitter.skipped).toBe(3);
  });

  it('rejects a damaged line in the middle, naming the source, the line and the expected fields', () => {
    const text = header + line(0, 0, '200', '0.001') + '\n' + '1\t123\tgarbage\n' + line(2, 0, '200', '0.001') + '\n';
    expect(() => parseRemoteProbeLog(text, 'alpine-1', 0)).toThrow(/alpine-1: remote probe log line 4 is malformed \(3 fields\).*slot planned_us sent_us/);
    expect(() => parseRemoteProbeLog(header + line(0, 0, '2OO', '0.001') + '\n', 'alpine-1', 0)).toThrow(/http_code is not 3 digits/);
    expect(() => parseRemoteProbeLog('# nonsense here\n', 'alpine-1', 0)).toThrow(/unknown header/);
  });
});

describe('parseRemoteProbeLogs', () => {
  it('corrects each generator by its own offset', () => {
    const text = header + line(0, 0, '200', '0.001') + '\n';
    const [a, b] = parseRemoteProbeLogs([{ generator: 'alpine-1', text }, { generator: 'alpine-2', text }], { 'alpine-1': 10, 'alpine-2': -3 });
    expect(a.samples[0].sentAt - b.samples[0].sentAt).toBeCloseTo(13, 6);
    expect([a.source, b.source]).toEqual(['alpine-1', 'alpine-2']);
  });

  it('fails clearly when a generator produced no sample, with what its script printed', () => {
    const good = header + line(0, 0, '200', '0.001') + '\n';
    expect(() => parseRemoteProbeLogs([{ generator: 'alpine-1', text: good }, { generator: 'alpine-2', text: '', output: 'remote probe: no curl in PATH=/bin\n' }], { 'alpine-1': 0, 'alpine-2': 0 }))
      .toThrow('remote probe recorded no sample on alpine-2 (script output: remote probe: no curl in PATH=/bin)');
    expect(() => parseRemoteProbeLogs([{ generator: 'alpine-2', text: header }], { 'alpine-2': 0 })).toThrow(/alpine-2 \(the script started but logged no request\)/);
    expect(() => parseRemoteProbeLogs([{ generator: 'alpine-3', text: good }], { 'alpine-1': 0 })).toThrow('no clock correction for load generator alpine-3 (have: alpine-1)');
  });
});

describe('parseRemoteClock', () => {
  it('reads EPOCHREALTIME and date +%s%N, and names the host without a sub-second clock', () => {
    expect(parseRemoteClock('g', 'r 1795382813.772924\n')).toBeCloseTo(1795382813772.924, 3);
    expect(parseRemoteClock('g', 'n 1795382803722807404\n')).toBeCloseTo(1795382803722.8074, 3);
    expect(() => parseRemoteClock('alpine-1', 'n 1795382803%N')).toThrow(/alpine-1: no sub-second clock/);
  });
});

describe('renderRemoteProbeScript', () => {
  const files = { logFile: '/tmp/x.log', pidFile: '/tmp/x.pid', stopFile: '/tmp/x.stop' };
  it('bounds the loop in count and time and quotes the url', () => {
    const sh = renderRemoteProbeScript({ url: "http://10.210.0.1:8080/health?a='b'", intervalMs: 100, timeoutMs: 2000, durationMs: 5000 }, files);
    expect(sh).toContain('COUNT=50\n');
    expect(sh).toContain('MAX_US=5000000\n');
    expect(sh).toContain('TIMEOUT=2.000\n');
    expect(sh).toContain(`URL='http://10.210.0.1:8080/health?a=%27b%27'`);
  });
  it('rejects bad plans by name', () => {
    expect(() => renderRemoteProbeScript({ url: 'ftp://x/', intervalMs: 100, timeoutMs: 1000, durationMs: 1000 }, files)).toThrow(/must be http\(s\), got ftp/);
    expect(() => renderRemoteProbeScript({ url: 'http://x/', intervalMs: 2, timeoutMs: 1000, durationMs: 1000 }, files)).toThrow('remote probe intervalMs must be an integer in 5..60000, got 2');
    expect(() => renderRemoteProbeScript({ url: 'http://x/', intervalMs: 100, timeoutMs: 1000, durationMs: 7 * 3600_000 }, files)).toThrow(/durationMs must be an integer/);
  });
});

describe('lab.yaml experiments.probe_from', () => {
  // the shipped lab.yaml with its own probe_from lines removed and a PROBE_FROM marker line where each case puts its own
  const base = async () =>
    (await readFile('lab.yaml', 'utf8')).replace(/^ {2}probe_from.*\n/gm, '').replace(/^experiments:\n/m, 'experiments:\n  PROBE_FROM\n');
  it('defaults to control plus the load generators, and takes an explicit list', async () => {
    const text = await base();
    expect(parseLab(text.replace('  PROBE_FROM\n', '')).experiments.probe_from).toBeUndefined();
    expect(parseLab(text.replace('PROBE_FROM', 'probe_from: [control]')).experiments.probe_from).toEqual(['control']);
  });
  it('lets one experiment probe from elsewhere than the others', async () => {
    const lab = parseLab((await base()).replace('PROBE_FROM', 'probe_from: [control, load_generators]\n  probe_from_by_experiment: { scenario2: [control] }'));
    expect(probeSources(lab, 'scenario2')).toEqual(['control']);
    expect(probeSources(lab, 'baseline')).toEqual(['control', 'load_generators']);
    const dflt = parseLab((await base()).replace('  PROBE_FROM\n', ''));
    expect(probeSources(dflt, 'scenario2')).toEqual(['control', 'load_generators']);
    const noGens = (await base()).replace(/^load_generators:\n( {2}- .*\n)+/m, '');
    expect(probeSources(parseLab(noGens.replace('  PROBE_FROM\n', '')))).toEqual(['control']);
    expect(() => parseLab(noGens.replace('PROBE_FROM', 'probe_from_by_experiment: { baseline: [load_generators] }'))).toThrow(/experiments\.probe_from_by_experiment\.baseline.*lists no load_generators/s);
  });

  it('names the key and what is allowed', async () => {
    const text = await base();
    expect(() => parseLab(text.replace('PROBE_FROM', 'probe_from: [control, generators]'))).toThrow(/experiments\.probe_from\.1.*control or load_generators/s);
    expect(() => parseLab(text.replace('PROBE_FROM', 'probe_from: []'))).toThrow(/experiments\.probe_from.*at least one/s);
    expect(() => parseLab(text.replace('PROBE_FROM', 'probe_from: [control, control]'))).toThrow(/experiments\.probe_from.*listed twice/s);
    const noGens = text.replace(/^load_generators:\n( {2}- .*\n)+/m, '').replace('PROBE_FROM', 'probe_from: [load_generators]');
    expect(() => parseLab(noGens)).toThrow(/experiments\.probe_from.*lists no load_generators/s);
  });
});
