import { useCallback, useEffect, useState } from "react";

export type AuthRoute = "login" | "signup";

function read(): AuthRoute {
  return window.location.hash === "#/signup" ? "signup" : "login";
}

/** Which of the two account forms is shown, kept in the URL hash so Back works. */
export function useHashRoute(): [AuthRoute, (route: AuthRoute) => void] {
  const [route, setRoute] = useState<AuthRoute>(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  const go = useCallback((next: AuthRoute) => {
    window.location.hash = `#/${next}`;
    setRoute(next);
  }, []);
  return [route, go];
}

/** Drops the form route from the URL, so that the next visit without a session starts at log-in. */
export function clearAuthRoute(): void {
  if (window.location.hash !== "") {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
}
