import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { createRoom, fetchRooms, type NewRoom, type Room } from "../api/rooms";
import { RoomDirectory, type DirectoryState } from "../chat/roomDirectory";
import { RoomSessions } from "../chat/roomSessions";
import { useSocket } from "../socket/SocketContext";

export interface UseRoomsOptions {
  myId: number;
  /** Makes client ids; tests pass a predictable one. */
  makeClientId?: () => string;
}

export interface UseRoomsResult extends DirectoryState {
  directory: RoomDirectory;
  sessions: RoomSessions;
  /** Creates a room (the reader is its member); rejects with the server's ApiError. */
  create(input: NewRoom): Promise<Room>;
}

/**
 * The room list and the tab's room sessions, live while the calling component is mounted.
 * Every room the reader is a member of is joined, so news there counts as unread and they
 * show as online in it; a room opened by link is joined when it is opened.
 */
export function useRooms({ myId, makeClientId }: UseRoomsOptions): UseRoomsResult {
  const socket = useSocket();
  const [clientIds] = useState(() => makeClientId);
  const { directory, sessions } = useMemo(() => {
    const list = new RoomDirectory({ socket, myId, loadRooms: fetchRooms });
    const opened = new RoomSessions({
      socket,
      myId,
      makeClientId: clientIds,
      onJoined: (slug) => {
        // A room joined by link may be missing from a list loaded before it existed.
        if (list.find(slug) === undefined) void list.reload();
        else list.markMember(slug);
      },
    });
    return { directory: list, sessions: opened };
  }, [socket, myId, clientIds]);
  useEffect(() => {
    directory.start();
    return () => {
      directory.close();
      sessions.closeAll();
    };
  }, [directory, sessions]);
  const state = useSyncExternalStore(directory.state.subscribe, directory.state.get, directory.state.get);
  useEffect(() => {
    for (const room of state.rooms) if (room.member) sessions.open(room.slug);
  }, [state.rooms, sessions]);
  const create = useCallback(
    async (input: NewRoom) => {
      const room = await createRoom(input);
      directory.upsert(room);
      return room;
    },
    [directory],
  );
  return { ...state, directory, sessions, create };
}
