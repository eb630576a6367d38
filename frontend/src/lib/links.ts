import type { MouseEvent } from "react";

/**
 * A plain click on an in-app link is handled here (`open`); a modified one (new tab, new
 * window) is left to the browser, which loads the link's address.
 */
export function followLink(event: MouseEvent<HTMLAnchorElement>, open: () => void): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  open();
}
