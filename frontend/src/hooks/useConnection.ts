import { useEffect, useLayoutEffect, useMemo, useRef, useSyncExternalStore } from "react";
import { Connection, type ConnectionHandlers, type ConnectionState } from "../socket/connection";
import { useSocket } from "../socket/SocketContext";

/**
 * Opens the tab's socket while the calling component is mounted and returns its state.
 * Call it once per tab (the chat page); rooms share what it opens.
 */
export function useConnection(handlers: ConnectionHandlers): ConnectionState {
  const socket = useSocket();
  const latest = useRef(handlers);
  useLayoutEffect(() => {
    latest.current = handlers;
  });
  const connection = useMemo(() => new Connection(socket), [socket]);
  useEffect(() => {
    connection.open(() => latest.current);
    return () => connection.close();
  }, [connection]);
  return useSyncExternalStore(connection.state.subscribe, connection.state.get, connection.state.get);
}
