/** A piece of a body: plain, or matched by the search. */
export interface HighlightPart {
  text: string;
  marked: boolean;
}

/**
 * Converts [start, end) ranges in Unicode code points (the server's offsets) to UTF-16 indices
 * of the JavaScript string: a character outside the Basic Multilingual Plane (most emoji) is
 * one code point but two UTF-16 units. Ranges are clamped to the body, sorted and merged.
 */
export function codePointRangesToUtf16(body: string, ranges: readonly (readonly [number, number])[]): [number, number][] {
  // utf16At[k] is where code point k starts; the last entry is the body's length.
  const utf16At: number[] = [];
  let index = 0;
  for (const character of body) {
    utf16At.push(index);
    index += character.length;
  }
  utf16At.push(index);
  const points = utf16At.length - 1;
  const converted = ranges
    .map(([start, end]) => [Math.max(0, Math.min(start, points)), Math.max(0, Math.min(end, points))] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of converted) {
    const last = merged[merged.length - 1];
    const from = utf16At[start] as number;
    const to = utf16At[end] as number;
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/** The body cut into plain and matched pieces, from the server's code-point ranges. */
export function splitHighlights(body: string, ranges: readonly (readonly [number, number])[]): HighlightPart[] {
  const parts: HighlightPart[] = [];
  let last = 0;
  for (const [start, end] of codePointRangesToUtf16(body, ranges)) {
    if (start > last) parts.push({ text: body.slice(last, start), marked: false });
    parts.push({ text: body.slice(start, end), marked: true });
    last = end;
  }
  if (last < body.length || parts.length === 0) parts.push({ text: body.slice(last), marked: false });
  return parts;
}
