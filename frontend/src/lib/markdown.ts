// Message bodies as safe Markdown: markdown-it parses (raw HTML off), DOMPurify sanitises its
// output, and only an allow-list of elements and attributes becomes React elements. Nothing is
// ever written to the page as an HTML string (docs/security.md, "Message formatting").
import DOMPurify from "dompurify";
import MarkdownIt, { type StateInline } from "markdown-it";
import { createElement, type ReactNode } from "react";

/** Who a body may highlight: the message's `mentions` and the reader's own username. */
export interface MentionContext {
  /** The usernames the server found in the body (`mentions` in M), spelled as registered. */
  mentions: readonly string[];
  /** The reader's username, whose mention shows strongest. */
  me: string | null;
}

interface RenderEnv {
  /** Lower-cased username → the registered spelling. */
  mentions: Map<string, string>;
  me: string | null;
}

/** Link schemes a message may use; anything else (javascript:, data:, relative paths) stays text. */
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

/** Whether a link target is one a message may point at. */
export function isSafeUrl(url: string): boolean {
  if (!SAFE_URL.test(url.trim())) return false;
  try {
    const { protocol } = new URL(url.trim());
    return protocol === "http:" || protocol === "https:" || protocol === "mailto:";
  } catch {
    return false;
  }
}

// As the server reads mentions: `@` not preceded by a username character (so not a@b.com);
// nor, here, by `/` or `@`, so an address's path never turns into a highlight.
const NOT_BEFORE_MENTION = /[A-Za-z0-9_\-/@]/;
const MENTION = /^@([A-Za-z0-9_-]{1,32})/;

/** Turns `@name` into a mention token, but only for names the server listed in `mentions`. */
function mentionRule(state: StateInline, silent: boolean): boolean {
  if (state.src.charCodeAt(state.pos) !== 0x40 /* @ */) return false;
  const env = state.env as Partial<RenderEnv>;
  if (env.mentions === undefined || env.mentions.size === 0) return false;
  const before = state.pos > 0 ? state.src.charAt(state.pos - 1) : " ";
  if (NOT_BEFORE_MENTION.test(before)) return false;
  const match = MENTION.exec(state.src.slice(state.pos, state.pos + 33));
  const name = match?.[1];
  if (match === null || name === undefined) return false;
  const registered = env.mentions.get(name.toLowerCase());
  if (registered === undefined) return false;
  if (!silent) {
    const token = state.push("mention", "", 0);
    token.content = match[0];
    token.meta = { username: registered, me: env.me !== null && env.me === registered.toLowerCase() };
  }
  state.pos += match[0].length;
  return true;
}

function createParser(): MarkdownIt {
  const md = new MarkdownIt("default", { html: false, linkify: true, breaks: false, typographer: false });
  // Chat text, not documents: no headings, tables, rules, indented code or reference
  // definitions, so a line starting with "#" or four spaces reads as written.
  md.disable(["heading", "lheading", "table", "hr", "code", "reference"]);
  // Only addresses written with their scheme become links, as before Markdown came.
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  md.linkify.add("//", null).add("ftp:", null);
  md.validateLink = isSafeUrl;
  md.inline.ruler.before("emphasis", "mention", mentionRule);
  const escape = md.utils.escapeHtml;
  md.renderer.rules.mention = (tokens, index) => {
    const token = tokens[index];
    if (token === undefined) return "";
    const meta = token.meta as { username: string; me: boolean };
    const text = escape(token.content);
    if (!meta.me) return `<span class="mention" title="${escape(meta.username)}">${text}</span>`;
    return `<span class="mention mention-me" title="Mentions you">${text}<span class="visually-hidden"> (you)</span></span>`;
  };
  // Images are never loaded (the CSP allows none from elsewhere, and a picture would tell its
  // host who read the message): the syntax becomes a link to the address.
  md.renderer.rules.image = (tokens, index, options, env, self) => {
    const token = tokens[index];
    if (token === undefined) return "";
    const src = token.attrGet("src") ?? "";
    const alt = self.renderInlineAsText(token.children ?? [], options, env);
    const label = alt.trim() === "" ? src : alt;
    if (!isSafeUrl(src)) return escape(label);
    return `<a href="${escape(src)}">${escape(label)}</a>`;
  };
  return md;
}

let parser: MarkdownIt | null = null;

const NO_MENTIONS: MentionContext = { mentions: [], me: null };

function renderUnsafe(body: string, context: MentionContext): string {
  parser ??= createParser();
  const env: RenderEnv = {
    mentions: new Map(context.mentions.map((name) => [name.toLowerCase(), name])),
    me: context.me?.toLowerCase() ?? null,
  };
  return parser.render(body, env);
}

function purifyConfig() {
  return {
    ALLOWED_TAGS: [...ALLOWED_TAGS],
    ALLOWED_ATTR: ["href", "class", "title", "start"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    // DOMPurify checks every other attribute's value as an address; a list's start is a number.
    ADD_URI_SAFE_ATTR: ["start"],
    ALLOW_DATA_ATTR: false,
  };
}

/** The body rendered by markdown-it and sanitised by DOMPurify, as an HTML string. */
export function renderMarkdownHtml(body: string, context: MentionContext = NO_MENTIONS): string {
  return DOMPurify.sanitize(renderUnsafe(body, context), purifyConfig());
}

const ALLOWED_TAGS = new Set(["p", "br", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span"]);
const ALLOWED_CLASSES = new Set(["mention", "mention-me", "visually-hidden"]);
/** Containers whose whitespace-only text is markdown-it's line ends, not the writer's. */
const BLOCK_CONTAINERS = new Set(["#root", "ul", "ol", "blockquote", "li"]);

function toReact(node: Node, key: number, parentTag: string): ReactNode {
  if (node.nodeType === Node.TEXT_NODE) {
    const text = node.textContent ?? "";
    if (BLOCK_CONTAINERS.has(parentTag) && text.trim() === "") return null;
    return text;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const element = node as Element;
  const tag = element.tagName.toLowerCase();
  if (!ALLOWED_TAGS.has(tag)) return element.textContent;
  const props: Record<string, unknown> = { key };
  if (tag === "a") {
    const href = element.getAttribute("href") ?? "";
    if (!isSafeUrl(href)) return element.textContent;
    props.href = href;
    props.target = "_blank";
    props.rel = "noopener noreferrer";
  }
  const start = tag === "ol" ? element.getAttribute("start") : null;
  if (start !== null && /^\d{1,9}$/.test(start)) props.start = Number(start);
  const classes = (element.getAttribute("class") ?? "").split(/\s+/).filter((name) => ALLOWED_CLASSES.has(name));
  if (classes.length > 0) props.className = classes.join(" ");
  const title = element.getAttribute("title");
  if (title !== null && tag === "span") props.title = title;
  if (tag === "br") return createElement(tag, props);
  const children = Array.from(element.childNodes, (child, index) => toReact(child, index, tag));
  return createElement(tag, props, ...children);
}

/**
 * The body as React elements: Markdown for emphasis, code, quotes, lists and links (http,
 * https and mailto only, opening in a new tab without an opener); raw HTML stays text, and
 * images show as links. Mentions of `context.mentions` are highlighted, the reader's most.
 */
export function renderMarkdown(body: string, context: MentionContext = NO_MENTIONS): ReactNode[] {
  const fragment = DOMPurify.sanitize(renderUnsafe(body, context), { ...purifyConfig(), RETURN_DOM_FRAGMENT: true });
  return Array.from(fragment.childNodes, (child, index) => toReact(child, index, "#root"));
}
