import { useCallback, useEffect, useState } from "react";
import { TOKENS_PATH } from "./usePage";

export const DEFAULT_ROOM = "general";
const LAST_ROOM_KEY = "chatroom.lastRoom";
const ROOM_PATH = /^\/r\/([^/]+)\/?$/;

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

export function roomPath(slug: string): string {
  return `/r/${encodeURIComponent(slug)}`;
}

/** Remembers the room for the next visit to `/`. */
export function rememberRoom(slug: string): void {
  try {
    window.localStorage.setItem(LAST_ROOM_KEY, slug);
  } catch {
    // Storage may be off (private mode); `/` then opens general.
  }
}

function currentFromLocation(): string {
  const slug = roomFromPath(window.location.pathname);
  const path = roomPath(slug);
  if (window.location.pathname !== path) {
    window.history.replaceState(window.history.state, "", path + window.location.search + window.location.hash);
  }
  return slug;
}

/**
 * The open room, kept in the path (`/r/<slug>`) so that a link, a reload and Back all land
 * in the same room.
 */
export function useRoomRoute(): [string, (slug: string) => void] {
  const [slug, setSlug] = useState(currentFromLocation);
  useEffect(() => {
    const onPop = () => {
      // Back to another page (the App switches to it): leave its path alone.
      if (window.location.pathname.replace(/\/+$/, "") === TOKENS_PATH) return;
      setSlug(currentFromLocation());
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const go = useCallback((next: string) => {
    if (roomPath(next) !== window.location.pathname) window.history.pushState(null, "", roomPath(next));
    setSlug(next);
  }, []);
  return [slug, go];
}
