import { useSyncExternalStore } from "react";
import type { OnlineUser } from "../api/rooms";
import type { MessageFocus, Mute, RoomNotices, RoomSession, RoomViewMode } from "../chat/roomSession";
import type { ChatState } from "../chat/timeline";

export interface RoomView extends RoomNotices {
  state: ChatState;
  online: OnlineUser[];
  typing: OnlineUser[];
  /** The reader's mute in this room, or null. */
  muted: Mute | null;
  send: RoomSession["send"];
  retry: RoomSession["retry"];
  vote: RoomSession["vote"];
  loadOlder: RoomSession["loadOlder"];
  forgetOlder: RoomSession["forgetOlder"];
  notifyTyping: RoomSession["notifyTyping"];
  /** Live or Top, as the reader left this room. */
  view: RoomViewMode;
  setView: RoomSession["setView"];
  /** The collapsed messages the reader opened. */
  revealed: ReadonlySet<number>;
  reveal: RoomSession["reveal"];
  edit: RoomSession["edit"];
  remove: RoomSession["remove"];
  mute: RoomSession["mute"];
  /** The message opened from a search or a mention, to bring into sight. */
  focus: MessageFocus | null;
  jumpTo: RoomSession["jumpTo"];
  loadNewer: RoomSession["loadNewer"];
  returnToLive: RoomSession["returnToLive"];
}

/** What a component shows of a room session, re-rendered as it changes. */
export function useRoomView(session: RoomSession): RoomView {
  const state = useSyncExternalStore(session.store.subscribe, session.store.getState, session.store.getState);
  const notices = useSyncExternalStore(session.notices.subscribe, session.notices.get, session.notices.get);
  const online = useSyncExternalStore(session.online.subscribe, session.online.get, session.online.get);
  const typing = useSyncExternalStore(session.typing.subscribe, session.typing.get, session.typing.get);
  const view = useSyncExternalStore(session.view.subscribe, session.view.get, session.view.get);
  const revealed = useSyncExternalStore(session.revealed.subscribe, session.revealed.get, session.revealed.get);
  const muted = useSyncExternalStore(session.muted.subscribe, session.muted.get, session.muted.get);
  const focus = useSyncExternalStore(session.focus.subscribe, session.focus.get, session.focus.get);
  return {
    state,
    ...notices,
    online,
    typing,
    muted,
    send: session.send,
    retry: session.retry,
    vote: session.vote,
    loadOlder: session.loadOlder,
    forgetOlder: session.forgetOlder,
    notifyTyping: session.notifyTyping,
    view,
    setView: session.setView,
    revealed,
    reveal: session.reveal,
    edit: session.edit,
    remove: session.remove,
    mute: session.mute,
    focus,
    jumpTo: session.jumpTo,
    loadNewer: session.loadNewer,
    returnToLive: session.returnToLive,
  };
}
