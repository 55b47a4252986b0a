import type { ZodError } from 'zod';

/** Describes a value briefly for an error message (never the whole of a large object). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** A key path as `a.b.0.c`; a key that is not a plain word is quoted: `a["odd\tkey"]`. */
function keyPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    const k = String(key);
    if (/^[\w-]+$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out || '(root)';
}

/** One line per problem: `key.path: got <value>, <what was expected>`. */
export function formatZodError(error: ZodError, input: unknown, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const key = keyPath(issue.path, prefix);
      const got = describeValue(valueAt(input, issue.path));
      return `${key}: got ${got}, ${issue.message}`;
    })
    .join('\n');
}
