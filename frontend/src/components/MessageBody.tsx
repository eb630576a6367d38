import { linkify } from "../lib/linkify";

/** The body as plain text (React escapes it) with http(s) links made clickable. */
export function MessageBody({ body }: { body: string }) {
  return (
    <p className="message-body">
      {linkify(body).map((part, index) =>
        part.kind === "link" ? (
          <a key={index} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          <span key={index}>{part.text}</span>
        ),
      )}
    </p>
  );
}
