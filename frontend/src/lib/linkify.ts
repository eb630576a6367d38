/** A piece of a message body: plain text, or a link that is safe to make clickable. */
export type BodyPart = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that usually ends the sentence around a link rather than the link itself.
const TRAILING = /[.,;:!?)\]}]+$/;

function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Splits a body into text and http(s) links. Nothing here is ever parsed as HTML. */
export function linkify(body: string): BodyPart[] {
  const parts: BodyPart[] = [];
  let last = 0;
  for (const match of body.matchAll(URL_CANDIDATE)) {
    const start = match.index;
    let text = match[0];
    const trailing = TRAILING.exec(text);
    if (trailing !== null) {
      // Keep a closing parenthesis that has its opening one inside the link.
      let cut = trailing[0];
      if (cut.startsWith(")") && text.includes("(")) cut = cut.slice(1);
      text = text.slice(0, text.length - cut.length);
    }
    const href = safeHref(text);
    if (href === null) continue;
    if (start > last) parts.push({ kind: "text", text: body.slice(last, start) });
    parts.push({ kind: "link", text, href });
    last = start + text.length;
  }
  if (last < body.length) parts.push({ kind: "text", text: body.slice(last) });
  return parts;
}
