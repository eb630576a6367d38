import { useEffect, useMemo, useSyncExternalStore } from "react";
import { searchRoom } from "../api/search";
import { MessageSearch, type SearchFetcher, type SearchState } from "../chat/messageSearch";

export interface MessageSearchView extends SearchState {
  search: MessageSearch["search"];
  loadMore: MessageSearch["loadMore"];
  clear: MessageSearch["clear"];
}

const fetchFromServer: SearchFetcher = (room, query, cursor) => searchRoom(room, query, cursor);

/** Searching the room in view; a new room starts with no results. */
export function useMessageSearch(room: string, fetchPage: SearchFetcher = fetchFromServer): MessageSearchView {
  const search = useMemo(() => new MessageSearch(room, fetchPage), [room, fetchPage]);
  useEffect(() => () => search.clear(), [search]);
  const state = useSyncExternalStore(search.state.subscribe, search.state.get, search.state.get);
  return { ...state, search: search.search, loadMore: search.loadMore, clear: search.clear };
}
