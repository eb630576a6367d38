import { useEffect, useSyncExternalStore } from "react";
import type { TopFeed, TopState } from "../chat/topFeed";

export interface TopView extends TopState {
  setWindow: TopFeed["setWindow"];
  loadMore: TopFeed["loadMore"];
  applyUpdates: TopFeed["applyUpdates"];
  reload: TopFeed["reload"];
}

/**
 * A room's Top view, re-rendered as it changes. While `shown`, the first page is loaded if
 * the room has none yet.
 */
export function useTopFeed(feed: TopFeed, shown: boolean): TopView {
  const state = useSyncExternalStore(feed.state.subscribe, feed.state.get, feed.state.get);
  useEffect(() => {
    if (shown) feed.open();
  }, [feed, shown]);
  return {
    ...state,
    setWindow: feed.setWindow,
    loadMore: feed.loadMore,
    applyUpdates: feed.applyUpdates,
    reload: feed.reload,
  };
}
