import { useCallback, useEffect, useState } from "react";
import { TOKENS_PATH } from "./usePage";

export const DEFAULT_ROOM = "general";
const LAST_ROOM_KEY = "chatroom.lastRoom";
const ROOM_PATH = /^\/r\/([^/]+)(\/moderation)?\/?$/;

/** What the room shows: its chat, or its public moderation log (`/r/<slug>/moderation`). */
export type RoomPane = "chat" | "moderation";

function lastRoom(): string {
  try {
    return window.localStorage.getItem(LAST_ROOM_KEY) ?? DEFAULT_ROOM;
  } catch {
    return DEFAULT_ROOM;
  }
}

/** The room a path names: `/r/<slug>`, or for any other path the last room used (else general). */
export function roomFromPath(pathname: string): string {
  const match = ROOM_PATH.exec(pathname);
  if (match?.[1] === undefined) return lastRoom();
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return lastRoom();
  }
}

/** Which pane a path names: the moderation log for `/r/<slug>/moderation`, else the chat. */
export function paneFromPath(pathname: string): RoomPane {
  return ROOM_PATH.exec(pathname)?.[2] === undefined ? "chat" : "moderation";
}

export function roomPath(slug: string, pane: RoomPane = "chat"): string {
  const path = `/r/${encodeURIComponent(slug)}`;
  return pane === "moderation" ? `${path}/moderation` : path;
}

/** Remembers the room for the next visit to `/`. */
export function rememberRoom(slug: string): void {
  try {
    window.localStorage.setItem(LAST_ROOM_KEY, slug);
  } catch {
    // Storage may be off (private mode); `/` then opens general.
  }
}

interface Place {
  slug: string;
  pane: RoomPane;
}

function currentFromLocation(): Place {
  const slug = roomFromPath(window.location.pathname);
  const pane = paneFromPath(window.location.pathname);
  const path = roomPath(slug, pane);
  if (window.location.pathname !== path) {
    window.history.replaceState(window.history.state, "", path + window.location.search + window.location.hash);
  }
  return { slug, pane };
}

/**
 * The open room, kept in the path (`/r/<slug>`, or `/r/<slug>/moderation` for its log) so
 * that a link, a reload and Back all land in the same place. `go` opens a room's chat unless
 * told which pane.
 */
export function useRoomRoute(): [string, (slug: string, pane?: RoomPane) => void, RoomPane] {
  const [place, setPlace] = useState(currentFromLocation);
  useEffect(() => {
    const onPop = () => {
      // Back to another page (the App switches to it): leave its path alone.
      if (window.location.pathname.replace(/\/+$/, "") === TOKENS_PATH) return;
      setPlace(currentFromLocation());
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const go = useCallback((next: string, pane: RoomPane = "chat") => {
    const path = roomPath(next, pane);
    if (path !== window.location.pathname) window.history.pushState(null, "", path);
    setPlace((current) => (current.slug === next && current.pane === pane ? current : { slug: next, pane }));
  }, []);
  return [place.slug, go, place.pane];
}
