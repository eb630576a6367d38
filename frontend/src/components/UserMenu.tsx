import { useEffect, useId, useRef, useState } from "react";

interface UserMenuProps {
  username: string;
  email: string;
  onTokens(): void;
}

/** The person's menu in the header: the way to their account's pages (Tokens). */
export function UserMenu({ username, email, onTokens }: UserMenuProps) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const firstItem = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    firstItem.current?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onPointerDown = (event: PointerEvent) => {
      if (root.current !== null && !root.current.contains(event.target as Node)) setOpen(false);
    };
    window.addEventListener("keydown", onKeyDown);
    window.addEventListener("pointerdown", onPointerDown);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener("pointerdown", onPointerDown);
    };
  }, [open]);

  return (
    <div className="user-menu" ref={root}>
      <button
        ref={button}
        type="button"
        className="button button-quiet user-menu-button"
        title={email}
        aria-label={`${username}: user menu`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen(!open)}
      >
        <span className="topbar-username">{username}</span>
        <span aria-hidden="true"> ▾</span>
      </button>
      {open && (
        <div id={menuId} role="menu" aria-label="User menu" className="user-menu-list">
          <button
            ref={firstItem}
            type="button"
            role="menuitem"
            className="user-menu-item"
            onClick={() => {
              setOpen(false);
              onTokens();
            }}
          >
            Tokens
          </button>
        </div>
      )}
    </div>
  );
}
