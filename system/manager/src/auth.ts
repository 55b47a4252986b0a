import { hash, timingSafeEqual } from 'node:crypto';

// one-shot hash (Node ≥ 20.12): no Hash object per request
const digest = (s: string) => hash('sha256', s, 'buffer');

/**
 * Checks an `Authorization: Bearer <token>` header in constant time. Both sides are hashed first,
 * so timingSafeEqual always compares equal lengths and the token's length does not leak either.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  return bearerCheck(token)(header);
}

/** The same check with the token's digest computed once. */
export function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = digest(token);
  return (header) => {
    if (!header) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = m?.[1] ?? '';
    return timingSafeEqual(digest(presented), expected) && presented.length > 0;
  };
}
