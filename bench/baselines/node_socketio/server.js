// Baseline: what people pick for speed. socket.io 4.8 on Node, pure broadcast, no database,
// no authentication. Same events and ack shapes as the chatroom (join, data, upvote).
'use strict';

const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.env.PORT || 5001);
const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'Content-Type': 'application/json' });
  res.end('{"status": "ok"}');
});
const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
let nextId = 1;
const votes = new Map();

io.on('connection', (socket) => {
  socket.on('join', (data, ack) => {
    socket.join('room:' + data.room);
    if (typeof ack === 'function') ack({ ok: true, messages: [], seq: 0 });
  });
  socket.on('data', (data, ack) => {
    const message = { id: nextId++, room: data.room, body: data.body, created_at: new Date().toISOString() };
    io.to('room:' + data.room).emit('data', message);
    if (typeof ack === 'function') ack({ ok: true, message });
  });
  socket.on('upvote', (data, ack) => {
    const upvotes = (votes.get(data.message_id) || 0) + 1;
    votes.set(data.message_id, upvotes);
    const totals = { message_id: data.message_id, upvotes, downvotes: 0, score: upvotes };
    io.emit('vote', totals);
    if (typeof ack === 'function') ack({ ok: true, ...totals, my_vote: 1 });
  });
});

server.listen(port, '127.0.0.1', () => console.log(`node socket.io baseline on ${port}`));
