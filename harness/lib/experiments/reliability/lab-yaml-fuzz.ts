import { parse as parseYaml, stringify } from 'yaml';
import { LabConfigError, parseLab } from '../../config/lab-config.ts';
import { Prng } from './prng.ts';

export interface LabYamlTally {
  tried: number;
  parsed: number;
  rejected: number;
  /** Mutations answered by anything but a parse or a LabConfigError that says where. */
  unexpected: Array<{ mutation: string; error: string }>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function parentOf(root: Json, path: Array<string | number>): Record<string | number, Json> | undefined {
  let cur: Json = root;
  for (const k of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, Json>)[k];
  }
  return cur !== null && typeof cur === 'object' ? (cur as Record<string | number, Json>) : undefined;
}

function randomScalar(r: Prng): Json {
  return r.pick<Json>([null, true, false, 0, -1, 1.5, 99999999, 'x', '', 'local', 'remote', 'http://10.210.0.1:8080', '10.210.0.300', 'worker-1', 'UPPER', [], {}, [1, 'a'], { a: 1 }, r.string(20), r.int(-1e6, 1e6)]);
}

/** One random mutation of the parsed document, or of its text; returns the text and what was done. */
function mutateLab(r: Prng, doc: Json, text: string): { text: string; mutation: string } {
  if (r.chance(0.2)) {
    const lines = text.split('\n');
    const i = r.int(0, lines.length - 1);
    switch (r.int(0, 3)) {
      case 0: return { text: text.slice(0, r.int(0, text.length)), mutation: 'truncated' };
      case 1: lines.splice(i, 1); return { text: lines.join('\n'), mutation: `line ${i + 1} deleted` };
      case 2: lines.splice(i, 0, lines[r.int(0, lines.length - 1)]); return { text: lines.join('\n'), mutation: `a line duplicated at ${i + 1}` };
      default: {
        const at = r.int(0, text.length);
        return { text: text.slice(0, at) + r.pick([':', '\t', '- ', '{', '[', '"', '*a', '!!binary ', '\n  ']) + text.slice(at), mutation: `a character inserted at ${at}` };
      }
    }
  }
  const copy = structuredClone(doc);
  const targets = paths(copy).filter((p) => p.length > 0);
  const path = r.pick(targets);
  const parent = parentOf(copy, path);
  const key = path[path.length - 1];
  if (!parent) return { text, mutation: 'none' };
  const where = path.join('.');
  switch (r.int(0, 3)) {
    case 0: if (Array.isArray(parent)) parent.splice(Number(key), 1); else delete parent[key]; return { text: stringify(copy), mutation: `${where} removed` };
    case 1: parent[key] = randomScalar(r); return { text: stringify(copy), mutation: `${where} = ${JSON.stringify(parent[key])}` };
    case 2: if (!Array.isArray(parent)) { parent[`unknown_${r.hex(3)}`] = 1; return { text: stringify(copy), mutation: `unknown key beside ${where}` }; } return { text: stringify(copy), mutation: 'none' };
    default: { const v = parent[key]; if (!Array.isArray(parent)) { delete parent[key]; parent[`${String(key)}x`] = v; } return { text: stringify(copy), mutation: `${where} renamed` }; }
  }
}

/** A LabConfigError says where: a key with its value (`key.path: got …`, odd keys quoted), or the YAML line, or the root. */
function saysWhere(message: string): boolean {
  return /^(?:[^\s"]|"(?:[^"\\]|\\.)*")+: got /m.test(message) || /not YAML: .*(line|at)/is.test(message) || /expected a mapping/.test(message);
}

/** `count` random mutations of `labText`: each must parse, or throw a LabConfigError that says where. */
export function fuzzLabYaml(labText: string, seed: number, count: number): LabYamlTally {
  const r = new Prng(seed);
  const doc = parseYaml(labText) as Json;
  const tally: LabYamlTally = { tried: 0, parsed: 0, rejected: 0, unexpected: [] };
  for (let i = 0; i < count; i++) {
    const { text, mutation } = mutateLab(r, doc, labText);
    tally.tried++;
    try {
      parseLab(text, 'fuzzed-lab.yaml');
      tally.parsed++;
    } catch (err) {
      if (err instanceof LabConfigError && saysWhere(err.message)) tally.rejected++;
      else tally.unexpected.push({ mutation, error: `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300) });
    }
  }
  return tally;
}
