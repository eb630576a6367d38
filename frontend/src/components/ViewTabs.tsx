import type { KeyboardEvent } from "react";
import type { TopWindow } from "../api/types";
import type { RoomViewMode } from "../chat/roomSession";
import { TOP_WINDOWS } from "../chat/topFeed";

const TABS: readonly { value: RoomViewMode; label: string }[] = [
  { value: "live", label: "Live" },
  { value: "top", label: "Top" },
];

/** The element that shows the selected view (the tabs control it). */
export const VIEW_PANEL_ID = "view-panel";

export function viewTabId(view: RoomViewMode): string {
  return `view-tab-${view}`;
}

/**
 * The tab list "View": Live (the order of writing) and Top (ranked by votes). Arrow keys,
 * Home and End move between the tabs, as the ARIA tabs pattern has it.
 */
export function ViewTabs({ view, onChange }: { view: RoomViewMode; onChange(view: RoomViewMode): void }) {
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = TABS.findIndex((tab) => tab.value === view);
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = TABS[(to + TABS.length) % TABS.length];
    if (next === undefined) return;
    onChange(next.value);
    document.getElementById(viewTabId(next.value))?.focus();
  };
  return (
    <div role="tablist" aria-label="View" className="view-tabs">
      {TABS.map((tab) => (
        <button
          key={tab.value}
          type="button"
          role="tab"
          id={viewTabId(tab.value)}
          className="view-tab"
          aria-selected={tab.value === view}
          aria-controls={VIEW_PANEL_ID}
          tabIndex={tab.value === view ? 0 : -1}
          onClick={() => onChange(tab.value)}
          onKeyDown={onKeyDown}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/** The select "Window" of the Top view: the last hour, day or week, or all time. */
export function TopWindowSelect({ value, onChange }: { value: TopWindow; onChange(window: TopWindow): void }) {
  return (
    <div className="top-window">
      <label htmlFor="top-window">Window</label>
      <select id="top-window" value={value} onChange={(event) => onChange(event.target.value as TopWindow)}>
        {TOP_WINDOWS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
