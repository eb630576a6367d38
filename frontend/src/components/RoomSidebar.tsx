import { useState } from "react";
import type { NewRoom, Room } from "../api/rooms";
import { roomPath } from "../hooks/useRoomRoute";
import { followLink } from "../lib/links";
import { NewRoomForm } from "./NewRoomForm";

interface RoomSidebarProps {
  rooms: Room[];
  status: "loading" | "ready" | "failed";
  current: string;
  onOpen(slug: string): void;
  onCreate(input: NewRoom): Promise<Room>;
  onRetry(): void;
}

/** The reader's rooms with their unread counts, the other public rooms, and a new-room form. */
export function RoomSidebar({ rooms, status, current, onOpen, onCreate, onRetry }: RoomSidebarProps) {
  const [creating, setCreating] = useState(false);
  const [browsing, setBrowsing] = useState(false);
  const mine = rooms.filter((room) => room.member || room.slug === current);
  const others = rooms.filter((room) => !room.member && room.slug !== current);
  const listed: Pick<Room, "slug" | "name" | "unread" | "mentions">[] = mine.some((room) => room.slug === current)
    ? mine
    : [{ slug: current, name: current, unread: 0, mentions: 0 }, ...mine];

  return (
    <>
      <nav className="sidebar-section" aria-label="Rooms">
        <div className="sidebar-header">
          <h2 className="sidebar-heading">Rooms</h2>
          <button type="button" className="link-button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
            New room
          </button>
        </div>
        {creating && (
          <NewRoomForm
            onCreate={onCreate}
            onCancel={() => setCreating(false)}
            onCreated={(room) => {
              setCreating(false);
              onOpen(room.slug);
            }}
          />
        )}
        <ul className="room-list">
          {listed.map((room) => (
            <li key={room.slug}>
              <a
                className={room.unread > 0 ? "room-link room-link-unread" : "room-link"}
                href={roomPath(room.slug)}
                aria-current={room.slug === current ? "page" : undefined}
                onClick={(event) => followLink(event, () => onOpen(room.slug))}
              >
                <span className="room-name">
                  <span aria-hidden="true"># </span>
                  {room.name}
                </span>{" "}
                {room.mentions > 0 && (
                  <span className="badge badge-mention" data-testid="mention-badge">
                    <span aria-hidden="true">@</span>
                    {room.mentions}
                    <span className="visually-hidden">{room.mentions === 1 ? " mention" : " mentions"}</span>
                  </span>
                )}
                {room.unread > 0 && (
                  <span className="badge">
                    {room.unread}
                    <span className="visually-hidden"> unread</span>
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        {status === "failed" && (
          <p className="sidebar-note">
            The room list could not be loaded.{" "}
            <button type="button" className="link-button" onClick={onRetry}>
              Try again
            </button>
          </p>
        )}
      </nav>
      <section className="sidebar-section" aria-label="Other rooms">
        <button type="button" className="link-button" aria-expanded={browsing} onClick={() => setBrowsing(!browsing)}>
          Browse rooms{others.length > 0 ? ` (${others.length})` : ""}
        </button>
        {browsing &&
          (others.length === 0 ? (
            <p className="sidebar-note">You are in every public room.</p>
          ) : (
            <ul className="browse-list">
              {others.map((room) => (
                <li key={room.slug} className="browse-room">
                  <span className="browse-name">{room.name}</span>
                  {room.topic !== "" && <span className="browse-topic">{room.topic}</span>}
                  <span className="browse-online">{room.online} online</span>
                  <button type="button" className="button button-quiet browse-join" aria-label={`Join ${room.name}`} onClick={() => onOpen(room.slug)}>
                    Join
                  </button>
                </li>
              ))}
            </ul>
          ))}
      </section>
    </>
  );
}
