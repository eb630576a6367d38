import { useEffect, useId, useRef } from "react";
import { usePopover } from "../hooks/usePopover";

interface UserMenuProps {
  username: string;
  email: string;
  onTokens(): void;
}

/** The person's menu in the header: the way to their account's pages (Tokens). */
export function UserMenu({ username, email, onTokens }: UserMenuProps) {
  const { open, setOpen, root, button } = usePopover<HTMLDivElement>();
  const menuId = useId();
  const firstItem = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (open) firstItem.current?.focus();
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
