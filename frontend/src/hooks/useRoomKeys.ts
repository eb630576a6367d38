import { useEffect, useLayoutEffect, useRef } from "react";

/** Alt+Up and Alt+Down open the room above or below the current one in `order`. */
export function useRoomKeys(order: string[], current: string, open: (slug: string) => void): void {
  const latest = useRef({ order, current, open });
  useLayoutEffect(() => {
    latest.current = { order, current, open };
  });
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
      const now = latest.current;
      const index = now.order.indexOf(now.current);
      const next = event.key === "ArrowUp" ? now.order[index - 1] : now.order[index + 1];
      event.preventDefault();
      if (next !== undefined) now.open(next);
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);
}
