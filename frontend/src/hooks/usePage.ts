import { useCallback, useEffect, useState } from "react";

/** The path of the Tokens page; every other path belongs to the chat (`/`, `/r/<slug>`). */
export const TOKENS_PATH = "/tokens";

export type Page = "chat" | "tokens";

function read(): Page {
  return window.location.pathname.replace(/\/+$/, "") === TOKENS_PATH ? "tokens" : "chat";
}

/** Which page a logged-in person sees, kept in the path so links, reloads and Back work. */
export function usePage(): [Page, (page: Page) => void] {
  const [page, setPage] = useState<Page>(read);
  useEffect(() => {
    const onPop = () => setPage(read());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const go = useCallback((next: Page) => {
    // The chat opens its last room from `/`.
    const path = next === "tokens" ? TOKENS_PATH : "/";
    if (window.location.pathname !== path) window.history.pushState(null, "", path);
    setPage(next);
  }, []);
  return [page, go];
}
