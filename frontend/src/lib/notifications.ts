import type { Message } from "../api/types";

/** The browser's notification permission, or "unsupported" where there is no Notification API. */
export type NotifyPermission = NotificationPermission | "unsupported";

export function notificationPermission(): NotifyPermission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** Asks the browser for permission; call only from a click on a control that says so. */
export async function askNotificationPermission(): Promise<NotifyPermission> {
  if (typeof Notification === "undefined") return "unsupported";
  return Notification.requestPermission();
}

/**
 * Tells the reader about a mention with a system notification, only while the tab is hidden
 * and only if they allowed it. Clicking it brings the tab back and opens the message.
 */
export function notifyMention(message: Message, open: () => void): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted" || !document.hidden) return;
  const body = message.body.length > 140 ? `${message.body.slice(0, 139)}…` : message.body;
  const notification = new Notification(`${message.author.username} mentioned you in #${message.room}`, { body, tag: `mention-${message.id}` });
  notification.onclick = () => {
    window.focus();
    open();
    notification.close();
  };
}
