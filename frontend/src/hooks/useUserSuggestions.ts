import { useEffect, useState } from "react";
import { fetchUserSuggestions, type UserSuggestion } from "../api/mentions";

/** How long typing pauses before a look-up goes out. */
export const SUGGEST_DELAY_MS = 150;

const NONE: UserSuggestion[] = [];

/**
 * Usernames starting with `prefix`, for the composer's @ suggestions; none while `prefix` is
 * null. Look-ups wait for a pause in typing, and an answer to an older prefix is dropped.
 */
export function useUserSuggestions(prefix: string | null, load = fetchUserSuggestions): UserSuggestion[] {
  const [found, setFound] = useState<{ prefix: string; users: UserSuggestion[] } | null>(null);
  useEffect(() => {
    if (prefix === null) return;
    let current = true;
    const timer = setTimeout(() => {
      load(prefix).then(
        (users) => {
          if (current) setFound({ prefix, users });
        },
        () => {
          if (current) setFound({ prefix, users: NONE });
        },
      );
    }, SUGGEST_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [prefix, load]);
  return prefix !== null && found !== null && found.prefix === prefix ? found.users : NONE;
}
