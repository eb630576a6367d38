"""Ceiling baseline: raw websocket broadcast on uWebSockets (socketify), no Socket.IO protocol.

Every text frame a client sends is published to every connected client, the sender included.
No database, no authentication: the practical upper bound of fan-out on one core.
"""

from __future__ import annotations

import argparse

from socketify import App, CompressOptions, OpCode

TOPIC = "room"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5002)
    args = parser.parse_args()
    app = App()

    def on_open(ws: object) -> None:
        ws.subscribe(TOPIC)  # type: ignore[attr-defined]

    def on_message(_ws: object, message: str | bytes, opcode: OpCode) -> None:
        app.publish(TOPIC, message, opcode)

    app.ws(
        "/*",
        {
            "compression": CompressOptions.DISABLED,
            "max_payload_length": 64 * 1024,
            "idle_timeout": 120,
            "max_backpressure": 16 * 1024 * 1024,
            "open": on_open,
            "message": on_message,
        },
    )
    app.get("/healthz", lambda res, _req: res.end('{"status": "ok"}'))
    app.listen(args.port, lambda config: print(f"socketify raw websocket baseline on {config.port}", flush=True))
    app.run()


if __name__ == "__main__":
    main()
