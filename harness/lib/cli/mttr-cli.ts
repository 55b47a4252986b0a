import Table from 'cli-table3';
import { parseFlags } from './script-args.ts';
import { runCli, positiveNumber, labFlag, helpFlag } from './cli-common.ts';
import { loadLab } from '../config/lab-config.ts';
import { managerDocker, nodeDockers } from '../cluster/docker-clients.ts';
import { scrapeEvents } from '../events/log-scraper.ts';
import { measureClockOffsets } from '../cluster/lab-clocks.ts';
import { corrections } from '../events/clock-offset.ts';
import { applyCorrections, correlate, correlateAll, phaseDeltas, type ActionChain } from '../events/events.ts';
import { formatMs } from '../report/format.ts';
import { exitHelp } from './exit-codes.ts';

const HELP = `usage: npx zx harness/mttr.mjs [--since SECONDS] [--action ID] [--lab lab.yaml]
  Reads the agents' and the manager's logs of the last --since seconds (default 600), corrects
  each node's events by its measured clock offset, and prints T0–T6 and the latencies of every
  recovery action (or only of --action ID).
${exitHelp({ ok: 'printed (also when there was no action)', failed: '--action names no action of the window' })}`;

function kindOf(chain: ActionChain): 'migration' | 'scale_up' {
  return chain.phases.T6 !== undefined || chain.events.some((e) => e.decision === 'migrate' || e.action === 'migrate') ? 'migration' : 'scale_up';
}

export function main(argv: string[]): Promise<number> {
  return runCli('mttr', HELP, async () => {
    const { values } = parseFlags(argv, { since: { type: 'string' }, action: { type: 'string' }, lab: labFlag, help: helpFlag }, false);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const sinceS = positiveNumber('since', values.since, 600, 7 * 86_400);
    const lab = await loadLab(values.lab);
    const since = Date.now() - sinceS * 1000;
    const offsets = await measureClockOffsets(lab);
    const events = applyCorrections(await scrapeEvents(managerDocker(lab), since, undefined, nodeDockers(lab)), corrections(offsets));
    const chains = values.action ? [correlate(events, { actionId: values.action })] : correlateAll(events);
    if (chains.length === 0 || chains.every((c) => c.events.length === 0)) {
      console.log(`no recovery action in the last ${sinceS} s`);
      return values.action ? 1 : 0;
    }
    const table = new Table({ head: ['action', 'service', 'kind', 'MTTR', 'T1−T0', 'T2−T1', 'T3−T2', 'T4−T3', 'T5−T4', 'T6−T5', 'outcome'] });
    for (const c of chains) {
      const kind = kindOf(c);
      const d = phaseDeltas(c.phases, kind);
      const end = c.events.find((e) => e.event === 'action_completed' || e.event === 'action_failed');
      table.push([c.actionIds.join(','), c.events[0]?.service ?? '?', kind, formatMs(d.mttrMs), formatMs(d.t1_t0_ms), formatMs(d.t2_t1_ms), formatMs(d.t3_t2_ms), formatMs(d.t4_t3_ms), formatMs(d.t5_t4_ms), formatMs(d.t6_t5_ms), end?.event ?? 'in progress']);
    }
    console.log(table.toString());
    console.log(`clock offsets: ${offsets.map((o) => `${o.node} ${o.offsetMs.toFixed(1)} ± ${o.uncertaintyMs.toFixed(1)} ms`).join(', ')}`);
    return 0;
  });
}
