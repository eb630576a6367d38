import { useMemo } from "react";
import { renderMarkdown } from "../lib/markdown";

interface MessageBodyProps {
  body: string;
  /** The usernames the server found mentioned in the body (`mentions` in M). */
  mentions?: readonly string[];
  /** The reader's username: their own mention shows strongest. */
  me?: string | null;
}

const NONE: readonly string[] = [];

/**
 * The body as safe Markdown (lib/markdown.ts): emphasis, code, quotes, lists and http(s) or
 * mailto links; raw HTML shows as text and images as links. Mentions are highlighted.
 */
export function MessageBody({ body, mentions = NONE, me = null }: MessageBodyProps) {
  const content = useMemo(() => renderMarkdown(body, { mentions, me }), [body, mentions, me]);
  return <div className="message-body">{content}</div>;
}
