import { hostname } from 'node:os';
import { EventLogger, nowMs } from '../../shared/event-logger.ts';
import { Agent } from './agent.ts';
import { CgroupStatsAdapter } from './cgroup-stats-adapter.ts';
import { ConfigError, loadAgentConfig } from './config.ts';
import { DockerStatsAdapter } from './docker-stats-adapter.ts';
import { EarlyStop } from './early-stop.ts';
import { HttpAlertSink } from './http-alert-sink.ts';
import { HttpPoster } from './http-poster.ts';
import { HttpReportSink } from './http-report-sink.ts';
import { StreamReportSink } from './stream-report-sink.ts';
import { InfluxMetricsSink, NullMetricsSink } from './influx-metrics-sink.ts';
import { RulesReloader } from './rules-reloader.ts';
import { chooseStatsSource } from './stats-source.ts';
import type { MetricsSink } from './types.ts';

/** Bounds the shutdown so the task stops within Docker's default 10 s stop grace period. */
const SHUTDOWN_LIMIT_MS = 8000;

async function main(): Promise<void> {
  const config = loadAgentConfig();
  const docker = new DockerStatsAdapter();
  const info = await docker.nodeInfo();
  const nodeName = config.nodeName ?? (info.name || hostname());
  const events = new EventLogger('agent', nodeName);
  const { port, source, reason } = await chooseStatsSource(config.statsSource, docker, new CgroupStatsAdapter(docker, config.hostPaths));
  const watch = docker.watchContainers({ now: nowMs, onError: (why) => events.event('container_watch_lost', { reason: why, fallback: 'listing every cycle' }) });

  const metrics: MetricsSink = config.influx ? new InfluxMetricsSink(config.influx, events) : new NullMetricsSink();
  // One keep-alive pool for alerts and reports: each new report stream takes a fresh or idle socket,
  // and the previous stream's socket, once answered, waits in the pool, so an alert normally finds
  // an open connection (no TCP handshake on its path).
  const poster = new HttpPoster(config.managerUrl, config.token);
  const reports = config.reportTransport === 'post' ? new HttpReportSink(poster, events) : new StreamReportSink(poster, events);
  const migrations = new EarlyStop({ manager: poster, stopper: docker, events, now: nowMs });
  const agent = new Agent({
    migrations,
    port,
    alerts: new HttpAlertSink(poster),
    reports,
    metrics,
    events,
    clock: { now: nowMs },
    node: { name: nodeName, cores: info.cores },
    rules: config.rules,
  });

  events.event('agent_started', {
    nodeId: info.nodeId,
    cores: info.cores,
    managerUrl: config.managerUrl,
    statsSource: source,
    statsSourceReason: reason,
    reportTransport: config.reportTransport,
    influx: config.influx ? `${config.influx.url} org=${config.influx.org} bucket=${config.influx.bucket}` : 'off (INFLUX_URL not set)',
    pollInterval: config.rules.monitoring.poll_interval,
    linkMbps: config.rules.monitoring.link_mbps,
    configFile: config.configFile ?? null,
  });
  agent.start();

  // The manager reloads the same file on change; so does the agent, or it would alert on old thresholds.
  const reloader = config.configFile ? new RulesReloader(config.configFile, () => loadAgentConfig().rules, config.rules) : undefined;
  reloader?.watch({
    accepted: (rules) => {
      agent.setRules(rules);
      events.event('config_reloaded', { file: config.configFile, pollInterval: rules.monitoring.poll_interval, linkMbps: rules.monitoring.link_mbps });
    },
    rejected: (reason) => events.event('config_reload_rejected', { file: config.configFile, reason }),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    events.event('agent_stopping', { signal });
    const limit = setTimeout(() => {
      events.event('agent_stopped', { signal, forced: true, limitMs: SHUTDOWN_LIMIT_MS });
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    reloader?.stop();
    await agent.stop();
    watch.close();
    const following = migrations.close();
    await reports.close();
    await metrics.close(); // flushes the points still buffered for InfluxDB
    poster.close(); // ends a hand-off question still held by the manager
    await following;
    events.event('agent_stopped', { signal, forced: false });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`swarmguard agent: ${err.message}`);
  else console.error('swarmguard agent: failed to start:', err);
  process.exit(2);
});
