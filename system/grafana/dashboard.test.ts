import { readFileSync } from 'node:fs';
import { FieldColorModeId, GraphDrawStyle, GraphThresholdsStyleMode, ThresholdsMode, type Dashboard, type Panel } from '@grafana/schema';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { rulesConfigSchema } from '../shared/rules-schema.ts';
import { DASHBOARD_FILE, dashboardJson } from './dashboard-file.ts';
import { DATASOURCE, swarmguardDashboard } from './dashboard.ts';

const committed = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
const panels = (committed.panels ?? []) as Panel[];
const byTitle = (re: RegExp) => panels.find((p) => re.test(p.title ?? ''))!;
const lines = (p: Panel) => (p.fieldConfig?.defaults.thresholds?.steps ?? []).filter((s) => s.value !== null).map((s) => s.value);

describe('the provisioned dashboard', () => {
  // dashboard.ts is typed by @grafana/schema's Dashboard (tsc checks it against Grafana's schema);
  // this makes sure the JSON Grafana loads is exactly that object
  it('is the dashboard source, written by npm run grafana:dashboard', () => {
    expect(readFileSync(DASHBOARD_FILE, 'utf8'), 'dashboards/swarmguard.json is stale: run npm run grafana:dashboard').toBe(dashboardJson());
  });

  it("uses only values of Grafana's schema enums where the schema has one", () => {
    const modes = new Set<string>(Object.values(ThresholdsMode));
    const colors = new Set<string>(Object.values(FieldColorModeId));
    const styles = new Set<string>(Object.values(GraphThresholdsStyleMode));
    const draws = new Set<string>(Object.values(GraphDrawStyle));
    for (const p of panels.filter((x) => x.type !== 'row')) {
      const d = p.fieldConfig!.defaults;
      if (d.thresholds) expect(modes, p.title).toContain(d.thresholds.mode);
      expect(colors, p.title).toContain(d.color!.mode);
      const custom = d.custom as { thresholdsStyle?: { mode: string }; drawStyle?: string } | undefined;
      if (custom?.thresholdsStyle) expect(styles, p.title).toContain(custom.thresholdsStyle.mode);
      if (custom?.drawStyle) expect(draws, p.title).toContain(custom.drawStyle);
    }
  });

  it('has unique panel ids, a schemaVersion, and every query on the provisioned data source', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(committed.schemaVersion).toBeGreaterThan(30);
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource, p.title).toEqual(DATASOURCE);
      for (const t of p.targets ?? []) expect(t.datasource, p.title).toEqual(DATASOURCE);
    }
    const provisioned = parseYaml(readFileSync(new URL('./provisioning/datasources/victoriametrics.yaml', import.meta.url), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    expect(provisioned.datasources.map((d) => ({ uid: d.uid, type: d.type }))).toEqual([DATASOURCE]);
  });

  it("draws the rules' default thresholds: cpu, memory, and both network bounds", () => {
    const r = rulesConfigSchema.parse({}).scenarios;
    expect(lines(byTitle(/^CPU/))).toEqual([r.scenario1_migration.cpu_threshold]);
    expect(lines(byTitle(/^Memory %/))).toEqual([r.scenario1_migration.memory_threshold]);
    expect(lines(byTitle(/^Network %/))).toEqual([r.scenario1_migration.network_threshold_max, r.scenario2_scaling.network_threshold_min]);
  });

  it('follows other rules when built from them (two CPU lines when the scenarios differ)', () => {
    const rules = rulesConfigSchema.parse({ scenarios: { scenario1_migration: { cpu_threshold: 70 }, scenario2_scaling: { cpu_threshold: 85 } } });
    const cpu = (swarmguardDashboard(rules).panels as Panel[]).find((p) => /^CPU/.test(p.title ?? ''))!;
    expect(lines(cpu)).toEqual([70, 85]);
  });

  it('marks recovery actions from recovery_actions as annotations, at the time the series holds', () => {
    const list = (committed.annotations?.list ?? []) as unknown as Record<string, unknown>[];
    expect(list).toEqual([expect.objectContaining({ name: 'Recovery actions', datasource: DATASOURCE, enable: true, useValueForTime: true })]);
    expect(String(list[0]!.expr)).toMatch(/recovery_actions_t3_ms/);
  });
});
