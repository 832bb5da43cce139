/** The answer formats of the sampling endpoints, by media type. */
export const RESPONSE_TYPES = {
  json: 'application/json',
  png: 'image/png',
  sse: 'text/event-stream',
} as const;

export type ResponseKind = keyof typeof RESPONSE_TYPES;

interface Range {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  for (const part of header.split(',')) {
    const [media = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const [type, subtype] = media.split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name === 'q') q = Number.isFinite(Number(value)) ? Math.min(1, Math.max(0, Number(value))) : 0;
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/**
 * Pick the answer format from an Accept header (RFC 9110 §12.5.1: the most specific
 * matching range sets a type's quality; highest quality wins, ties go to JSON, then PNG).
 * No header, or an empty one: JSON. Undefined: nothing acceptable (406).
 */
export function negotiate(accept: string | null | undefined): ResponseKind | undefined {
  if (!accept || !accept.trim()) return 'json';
  const ranges = parseAccept(accept);
  let best: ResponseKind | undefined;
  let bestQ = 0;
  for (const kind of Object.keys(RESPONSE_TYPES) as ResponseKind[]) {
    const [type, subtype] = RESPONSE_TYPES[kind].split('/') as [string, string];
    let q = -1;
    let specificity = -1;
    for (const range of ranges) {
      const s = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1;
      if (s > specificity) {
        specificity = s;
        q = range.q;
      }
    }
    if (q > bestQ) {
      best = kind;
      bestQ = q;
    }
  }
  return best;
}
