import type { OnlineUser } from "../api/rooms";

/** "alice is typing…", "alice and bob are typing…", or for more "Several people are typing…". */
export function typingText(typing: OnlineUser[]): string {
  const [first, second] = typing;
  if (first === undefined) return "";
  if (second === undefined) return `${first.username} is typing…`;
  if (typing.length === 2) return `${first.username} and ${second.username} are typing…`;
  return "Several people are typing…";
}

/** Always present, so that screen readers announce it as it changes. */
export function TypingIndicator({ typing }: { typing: OnlineUser[] }) {
  return (
    <p className="typing" role="status">
      {typingText(typing)}
    </p>
  );
}
