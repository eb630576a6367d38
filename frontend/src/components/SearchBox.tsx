import { useState, type FormEvent, type KeyboardEvent } from "react";
import { SEARCH_QUERY_MAX } from "../api/search";

interface SearchBoxProps {
  /** The room's slug, for the placeholder. */
  room: string;
  onSearch(query: string): void;
  /** Escape in an empty box, or in one with results shown, closes them. */
  onClear(): void;
}

/** The room's search box: Enter searches, Escape closes the results. */
export function SearchBox({ room, onSearch, onClear }: SearchBoxProps) {
  const [draft, setDraft] = useState("");

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onSearch(draft);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    setDraft("");
    onClear();
  };

  return (
    <form className="search-form" role="search" onSubmit={submit}>
      <input
        type="search"
        className="search-input"
        aria-label="Search messages"
        placeholder={`Search #${room}`}
        maxLength={SEARCH_QUERY_MAX * 2}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
      />
    </form>
  );
}
