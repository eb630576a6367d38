import type { OnlineUser } from "../api/rooms";

/** The people online in the room, the reader among them. */
export function OnlineList({ online, myId }: { online: OnlineUser[]; myId: number }) {
  const sorted = [...online].sort((a, b) => a.username.localeCompare(b.username, undefined, { sensitivity: "base" }));
  return (
    <section className="sidebar-section" aria-label="Online">
      <h2 className="sidebar-heading" aria-hidden="true">
        Online — {online.length}
      </h2>
      <ul className="online-list">
        {sorted.map((person) => (
          <li key={person.id} className="online-person">
            <span className="online-dot" aria-hidden="true" />
            {person.username}
            {person.id === myId && <span className="online-you"> (you)</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
