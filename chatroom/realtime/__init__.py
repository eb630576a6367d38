"""Socket.IO handlers: parse, call one service, answer with an ack."""
