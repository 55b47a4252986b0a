import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z, type ZodError } from 'zod';
import { rulesConfigSchema, type RulesConfig } from '../../shared/rules-schema.ts';
import { describeValue } from '../../shared/zod-errors.ts';
import { DEFAULT_HOST_PATHS, type HostPaths } from './cgroup-stats-adapter.ts';
import type { InfluxSettings } from '../../shared/influx.ts';

export const STATS_SOURCES = ['auto', 'cgroup', 'docker'] as const;
export type StatsSource = (typeof STATS_SOURCES)[number];

/** How reports reach the manager: one long request a 10 s (`stream`), or one POST a cycle (`post`). */
export const REPORT_TRANSPORTS = ['stream', 'post'] as const;
export type ReportTransport = (typeof REPORT_TRANSPORTS)[number];

export const DEFAULT_TOKEN_FILE = '/run/secrets/swarmguard_token';
export const DEFAULT_MANAGER_URL = 'http://manager:5000';

export interface AgentConfig {
  managerUrl: string;
  token: string;
  /** Overrides the node name the daemon reports. */
  nodeName?: string;
  /** null: INFLUX_URL not set, metrics are not stored. */
  influx: InfluxSettings | null;
  /** Where container counters come from; `auto` picks `cgroup` when the host files are readable. */
  statsSource: StatsSource;
  /** The host's /proc and cgroup tree as mounted into the agent (for the `cgroup` source). */
  hostPaths: HostPaths;
  /** `post` for a proxy between agent and manager that holds a request body until it ends. */
  reportTransport: ReportTransport;
  /** `scenarios` and `monitoring` of DESIGN.md §3, the same schema the manager validates. */
  rules: RulesConfig;
  configFile?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where settings come from: injectable so tests need no files or process state. */
export interface ConfigSources {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
  exists?: (path: string) => boolean;
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const secret = z.string().min(1, 'expected a non-empty secret');
const absolutePath = z.string().regex(/^\/[^\0]*$/, 'expected an absolute path');

const settingsSchema = z
  .object({
    manager_url: httpUrl,
    token: z.string({ error: 'expected a token: set SWARMGUARD_TOKEN, SWARMGUARD_TOKEN_FILE or mount the secret swarmguard_token' }).min(1, 'expected a non-empty token'),
    node_name: z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'expected a node name of letters, digits and _ . : @ -').optional(),
    influx_url: httpUrl.optional(),
    influx_org: z.string().min(1).optional(),
    influx_bucket: z.string().min(1).optional(),
    influx_token: secret.optional(),
    stats_source: z.enum(STATS_SOURCES, { error: `expected one of ${STATS_SOURCES.join(', ')}` }).default('auto'),
    report_transport: z.enum(REPORT_TRANSPORTS, { error: `expected one of ${REPORT_TRANSPORTS.join(', ')}` }).default('stream'),
    host_proc: absolutePath.default(DEFAULT_HOST_PATHS.proc),
    host_cgroup: absolutePath.default(DEFAULT_HOST_PATHS.cgroup),
  })
  .superRefine((s, ctx) => {
    if (!s.influx_url) return;
    for (const key of ['influx_org', 'influx_bucket', 'influx_token'] as const) {
      if (!s[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'expected a value because INFLUX_URL is set' });
    }
  });

/** For each setting: its CLI flag (if any) and environment variable. Tokens have no flag: argv is visible in `ps`. */
const SETTINGS = {
  manager_url: { flag: 'manager-url', env: 'MANAGER_URL' },
  node_name: { flag: 'node-name', env: 'NODE_NAME' },
  influx_url: { flag: 'influx-url', env: 'INFLUX_URL' },
  influx_org: { flag: 'influx-org', env: 'INFLUX_ORG' },
  influx_bucket: { flag: 'influx-bucket', env: 'INFLUX_BUCKET' },
  stats_source: { flag: 'stats-source', env: 'STATS_SOURCE' },
  report_transport: { flag: 'report-transport', env: 'REPORT_TRANSPORT' },
  host_proc: { flag: 'host-proc', env: 'HOST_PROC' },
  host_cgroup: { flag: 'host-cgroup', env: 'HOST_CGROUP' },
} as const;

const MONITORING = {
  poll_interval: { flag: 'poll-interval', env: 'POLL_INTERVAL' },
  link_mbps: { flag: 'link-mbps', env: 'LINK_MBPS' },
} as const;

const SECRET_KEYS = new Set(['token', 'influx_token']);

/** "2.5" → 2.5; anything not a plain number stays text, so the schema reports it with its value. */
function numberOrText(text: string): number | string {
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text) ? Number(text) : text;
}

function formatIssues(error: ZodError, input: unknown, labelOf: (path: string) => string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      let value: unknown = input;
      for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
      const shown = SECRET_KEYS.has(path) && value !== undefined ? '(hidden)' : describeValue(value);
      return `${labelOf(path)}: got ${shown}, ${issue.message}`;
    })
    .join('\n');
}

/** A secret from VAR, else from the file VAR_FILE, else from the default file if it exists. */
function readSecret(name: string, env: ConfigSources['env'] & object, read: (p: string) => string, exists: (p: string) => boolean, defaultFile?: string): { value?: string; origin: string } {
  const direct = env[name];
  if (direct !== undefined && direct.trim() !== '') return { value: direct.trim(), origin: name };
  const file = env[`${name}_FILE`] ?? (defaultFile && exists(defaultFile) ? defaultFile : undefined);
  if (!file) return { origin: name };
  const origin = `${name}_FILE (${file})`;
  try {
    return { value: read(file).trim(), origin };
  } catch (err) {
    throw new ConfigError(`${origin}: cannot read: ${(err as Error).message}`);
  }
}

function readYamlRules(file: string, read: (p: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    throw new ConfigError(`CONFIG_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  doc ??= {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: got ${describeValue(doc)}, expected a mapping at the top level`);
  // Only the shared part is the agent's; other sections (manager:) belong to other components.
  const { scenarios, monitoring } = doc as Record<string, unknown>;
  return structuredClone({ scenarios, monitoring });
}

/** CLI flags over environment variables over the YAML file over defaults; all validated here, once. */
export function loadAgentConfig(sources: ConfigSources = {}): AgentConfig {
  const env = sources.env ?? process.env;
  const read = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const exists = sources.exists ?? existsSync;
  const options = Object.fromEntries(
    ['config', ...Object.values(SETTINGS).map((s) => s.flag), ...Object.values(MONITORING).map((s) => s.flag)].map((f) => [f, { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...(sources.argv ?? process.argv.slice(2))], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError(`command line: ${(err as Error).message}`);
  }
  const pick = (flag: string, envName: string): { value?: string; origin: string } => {
    const cli = values[flag];
    if (typeof cli === 'string') return { value: cli, origin: `--${flag}` };
    return { value: env[envName], origin: envName };
  };

  // Rules: the YAML's scenarios/monitoring, then POLL_INTERVAL / LINK_MBPS over it.
  const configFile = pick('config', 'CONFIG_FILE').value || undefined;
  const doc = configFile ? readYamlRules(configFile, read) : {};
  const origins = new Map<string, string>();
  for (const [key, s] of Object.entries(MONITORING)) {
    const { value, origin } = pick(s.flag, s.env);
    if (value === undefined || value === '') continue;
    const monitoring = (typeof doc.monitoring === 'object' && doc.monitoring !== null ? doc.monitoring : {}) as Record<string, unknown>;
    monitoring[key] = numberOrText(value);
    doc.monitoring = monitoring;
    origins.set(`monitoring.${key}`, `${origin} (monitoring.${key})`);
  }
  const rules = rulesConfigSchema.safeParse(doc);
  const problems: string[] = [];
  if (!rules.success) {
    const where = (path: string) => origins.get(path) ?? `${configFile ?? 'defaults'}: ${path}`;
    problems.push(formatIssues(rules.error, doc, where));
  }

  // Settings from env/CLI only, so that one YAML file can serve both agent and manager.
  const raw: Record<string, string | undefined> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    const { value, origin } = pick(s.flag, s.env);
    if (value !== undefined && value !== '') raw[key] = value;
    origins.set(key, origin);
  }
  raw.manager_url ??= DEFAULT_MANAGER_URL;
  const token = readSecret('SWARMGUARD_TOKEN', env, read, exists, DEFAULT_TOKEN_FILE);
  raw.token = token.value;
  origins.set('token', token.origin);
  const influxToken = readSecret('INFLUX_TOKEN', env, read, exists);
  raw.influx_token = influxToken.value;
  origins.set('influx_token', influxToken.origin);
  const settings = settingsSchema.safeParse(raw);
  if (!settings.success) problems.push(formatIssues(settings.error, raw, (p) => origins.get(p) ?? p));
  if (!rules.success || !settings.success) throw new ConfigError(`invalid configuration\n${problems.join('\n')}`);
  const s = settings.data;
  return {
    managerUrl: s.manager_url,
    token: s.token,
    ...(s.node_name ? { nodeName: s.node_name } : {}),
    influx: s.influx_url ? { url: s.influx_url, org: s.influx_org!, bucket: s.influx_bucket!, token: s.influx_token! } : null,
    statsSource: s.stats_source,
    hostPaths: { proc: s.host_proc, cgroup: s.host_cgroup },
    reportTransport: s.report_transport,
    rules: rules.data,
    ...(configFile ? { configFile } : {}),
  };
}
