#!/usr/bin/env node
// Load generator for the Chatroom benchmark.
//
// One process, one core: it speaks the Engine.IO 4 / Socket.IO 5 text protocol over `ws`
// directly ("0" open, "40" connect, "42[...]" event, "4<n>2[...]"/"43<n>[...]" acks, ping "2" /
// pong "3"), or raw websocket text for the ceiling baseline. Message bodies carry the send
// time, so receivers measure end-to-end latency without parsing JSON. Results go to stdout as
// JSON lines; the orchestrator (bench/scenarios.py) reads them as they come.
//
// Usage: node loadgen.js <config.json>   (see bench/loadgen_config in bench/scenarios.py)
'use strict';

const fs = require('fs');
const WebSocket = require('ws');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const MARK = Buffer.from('bench|');
const OK_A = Buffer.from('"ok": true');
const OK_B = Buffer.from('"ok":true');
const BUCKET_MS = 0.1; // latency histogram resolution
const BUCKETS = 200000; // up to 20 s

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function now() {
  return performance.now();
}

class Histogram {
  constructor() {
    this.counts = new Uint32Array(BUCKETS);
    this.n = 0;
    this.max = 0;
  }
  add(ms) {
    let i = Math.floor(ms / BUCKET_MS);
    if (i < 0) i = 0;
    if (i >= BUCKETS) i = BUCKETS - 1;
    this.counts[i]++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }
  pct(p) {
    if (this.n === 0) return null;
    const target = Math.ceil(this.n * p);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= target) return +((i + 1) * BUCKET_MS).toFixed(2);
    }
    return this.max;
  }
  summary() {
    return { n: this.n, p50: this.pct(0.5), p90: this.pct(0.9), p99: this.pct(0.99), max: +this.max.toFixed(2) };
  }
}

// Parse "bench|<ms>|<step>|" starting at buffer offset `at` (just after the mark).
function parseStamp(buf, at) {
  let t = 0;
  let frac = 0;
  let scale = 0;
  let i = at;
  for (; i < buf.length; i++) {
    const c = buf[i];
    if (c === 124) break; // '|'
    if (c === 46) {
      scale = 1;
      continue;
    } // '.'
    if (scale) {
      scale /= 10;
      frac += (c - 48) * scale;
    } else t = t * 10 + (c - 48);
  }
  let step = 0;
  for (i++; i < buf.length; i++) {
    const c = buf[i];
    if (c === 124) break;
    step = step * 10 + (c - 48);
  }
  return [t + frac, step];
}

const raw = cfg.proto === 'raw';
const clients = [];
let stats = null; // the current step's counters
let connectFailures = 0;
let joinFailures = 0;
let firstError = null;

function newStats(step) {
  return { step, delivered: 0, lat: new Histogram(), ack: new Histogram(), acked: 0, ackFailed: 0, sent: 0, disconnected: 0 };
}

class Client {
  constructor(index, cookie) {
    this.index = index;
    this.cookie = cookie;
    this.ackSeq = 1;
    this.pending = new Map(); // ack id -> {t, kind, step, resolve}
    this.ready = null;
    this.myVote = 0;
    this.closed = false;
    // ingest-rooms spreads clients over many rooms; every other mode uses one.
    this.room = cfg.spread_rooms ? cfg.spread_rooms[index % cfg.spread_rooms.length] : cfg.room;
  }

  connect() {
    return new Promise((resolve) => {
      const started = now();
      const url = raw ? cfg.url : cfg.url.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket';
      const headers = this.cookie ? { Cookie: this.cookie } : {};
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      this.ws = ws;
      let done = false;
      const finish = (ok, why) => {
        if (done) return;
        done = true;
        if (!ok) {
          connectFailures++;
          if (!firstError) firstError = why;
        }
        resolve(ok ? now() - started : null);
      };
      const timer = setTimeout(() => finish(false, 'connect timeout'), cfg.connect_timeout_ms || 30000);
      ws.on('error', (e) => finish(false, String(e.message || e)));
      ws.on('close', () => {
        this.closed = true;
        if (stats) stats.disconnected++;
        // Calls that can no longer be answered fail now rather than hang the run.
        for (const p of this.pending.values()) if (p.resolve) p.resolve({ ok: false, ms: now() - p.t, text: 'closed' });
        this.pending.clear();
        finish(false, 'closed during connect');
      });
      if (raw) ws.on('open', () => { clearTimeout(timer); finish(true); });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const c0 = data[0];
        if (raw) return this.onPayload(data, 0);
        if (c0 === 52) {
          // '4' Engine.IO message -> Socket.IO packet
          const c1 = data[1];
          if (c1 === 50) return this.onPayload(data, 2); // '2' event
          if (c1 === 51) return this.onAck(data); // '3' ack
          if (c1 === 48) { clearTimeout(timer); return finish(true); } // '0' connected
          if (c1 === 52) { clearTimeout(timer); return finish(false, 'connect_error ' + data.toString().slice(0, 200)); }
          return;
        }
        if (c0 === 50) return ws.send('3'); // ping -> pong
        if (c0 === 48) return ws.send('40'); // open -> connect the default namespace
      });
    });
  }

  // A frame holds one stamped message, or several when the server batches them (`batch`).
  onPayload(buf, from) {
    let at = buf.indexOf(MARK, from);
    if (at < 0) {
      if (stats && cfg.count_events && buf.indexOf(cfg.count_events, from) >= 0) stats.delivered++;
      return;
    }
    const t1 = now();
    while (at >= 0) {
      const [t, step] = parseStamp(buf, at + MARK.length);
      if (stats && step === stats.step) {
        stats.delivered++;
        stats.lat.add(t1 - t);
      }
      at = buf.indexOf(MARK, at + MARK.length);
    }
  }

  onAck(buf) {
    let id = 0;
    let i = 2;
    for (; i < buf.length; i++) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      id = id * 10 + (c - 48);
    }
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const ok = buf.indexOf(OK_A, i) >= 0 || buf.indexOf(OK_B, i) >= 0;
    if (p.kind === 'vote' && ok) {
      const m = /"my_vote": ?(-?\d)/.exec(buf.toString('utf8', i));
      if (m) this.myVote = +m[1];
    }
    if (p.resolve) p.resolve({ ok, ms: now() - p.t, text: ok ? null : buf.toString('utf8', i, i + 300) });
    if (stats && p.step === stats.step) {
      if (ok) {
        stats.acked++;
        stats.ack.add(now() - p.t);
      } else {
        stats.ackFailed++;
        if (!firstError) firstError = buf.toString('utf8', i, i + 300);
      }
    }
  }

  emit(event, payload, kind, step, resolve) {
    const id = this.ackSeq++;
    this.pending.set(id, { t: now(), kind, step, resolve });
    this.ws.send('42' + id + JSON.stringify([event, payload]));
  }

  call(event, payload) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, ms: null, text: event + ': no ack in time' }), cfg.call_timeout_ms || 30000);
      this.emit(event, payload, 'call', -1, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  sendMessage(step) {
    const body = 'bench|' + now().toFixed(3) + '|' + step + '|' + this.index;
    if (raw) {
      this.ws.send(body);
      return;
    }
    // The web client sends a client_id with every message (retries reuse it); so does the bench.
    const payload = cfg.client_ids ? { room: this.room, body, client_id: crypto.randomUUID() } : { room: this.room, body };
    this.emit('data', payload, 'data', step, null);
  }

  vote(step) {
    this.emit(cfg.vote_event || 'upvote', { message_id: cfg.message_id }, 'vote', step, null);
  }
}

async function connectAll(list, concurrency) {
  const times = [];
  let next = 0;
  const started = now();
  async function worker() {
    while (next < list.length) {
      const c = list[next++];
      const ms = await c.connect();
      if (ms !== null) times.push(ms);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  const total = now() - started;
  times.sort((a, b) => a - b);
  const q = (p) => (times.length ? +times[Math.min(times.length - 1, Math.floor(times.length * p))].toFixed(2) : null);
  return { total_ms: +total.toFixed(1), connected: times.length, failed: list.length - times.length, p50: q(0.5), p99: q(0.99) };
}

async function joinAll(list) {
  if (raw) return;
  const concurrency = 50;
  let next = 0;
  async function worker() {
    while (next < list.length) {
      const c = list[next++];
      if (c.closed) continue;
      const r = await c.call('join', { room: c.room });
      if (!r.ok) {
        joinFailures++;
        if (!firstError) firstError = 'join: ' + r.text;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuNow() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000; // ms
}

// Hold `rate` operations/s for the step, spread over the senders, then drain.
async function runStep(step, rate, senders, receiversCount, op) {
  stats = newStats(step);
  const seconds = Math.max(cfg.step_seconds, Math.min(cfg.max_step_seconds || 8, (cfg.min_step_ops || 24) / rate));
  const cpu0 = cpuNow();
  const t0 = now();
  let sent = 0;
  let rr = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (now() - t0) / 1000;
      const due = Math.min(Math.floor(rate * Math.min(elapsed, seconds)), Math.ceil(rate * seconds));
      while (sent < due) {
        const s = senders[rr++ % senders.length];
        if (!s.closed) op(s, step);
        sent++;
      }
      if (elapsed >= seconds) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  const sendWall = (now() - t0) / 1000;
  const cpuSend = cpuNow() - cpu0;
  stats.sent = sent;
  const expected = sent * receiversCount;
  const drainStart = now();
  const expectAcks = !raw && cfg.acks !== false;
  while (now() - drainStart < cfg.drain_ms) {
    const deliveredAll = receiversCount === 0 || stats.delivered >= expected;
    const ackedAll = !expectAcks || stats.acked + stats.ackFailed >= sent;
    if (deliveredAll && ackedAll) break;
    await sleep(10);
  }
  const drained = (now() - drainStart) / 1000;
  const wall = (now() - t0) / 1000;
  const cpu = cpuNow() - cpu0;
  const s = stats;
  const result = {
    type: 'step',
    step,
    offered_rate: rate,
    seconds: +sendWall.toFixed(3),
    drain_seconds: +drained.toFixed(3),
    sent,
    expected_deliveries: expected,
    delivered: s.delivered,
    delivered_ratio: expected ? +(s.delivered / expected).toFixed(4) : null,
    deliveries_per_s: +(s.delivered / sendWall).toFixed(1),
    latency: s.lat.summary(),
    acked: s.acked,
    ack_failed: s.ackFailed,
    acks_per_s: +(s.acked / sendWall).toFixed(1),
    ack: s.ack.summary(),
    disconnected: s.disconnected,
    loadgen_cpu: +(cpu / 1000 / wall).toFixed(3),
    loadgen_cpu_sending: +(cpuSend / 1000 / sendWall).toFixed(3),
    first_error: firstError,
  };
  stats = null;
  return result;
}

async function sweep() {
  const n = cfg.receivers + (cfg.separate_senders || 0);
  for (let i = 0; i < n; i++) clients.push(new Client(i, cfg.cookies ? cfg.cookies[i % cfg.cookies.length] : null));
  const connect = await connectAll(clients, cfg.connect_concurrency || 100);
  out({ type: 'connected', ...connect, first_error: firstError });
  const receivers = clients.slice(0, cfg.receivers).filter((c) => !c.closed);
  await joinAll(receivers);
  const senders = cfg.separate_senders ? clients.slice(cfg.receivers) : receivers.slice(0, cfg.senders);
  out({ type: 'joined', receivers: receivers.length, senders: senders.length, join_failures: joinFailures, first_error: firstError });
  const op = cfg.mode === 'votes' ? (c, step) => c.vote(step) : (c, step) => c.sendMessage(step);
  // Unmeasured warm-up (step 0): pools, caches and code paths get hot before the first step.
  if (cfg.mode !== 'votes') {
    for (let i = 0; i < Math.min(10, senders.length * 2); i++) op(senders[i % senders.length], 0);
    await sleep(cfg.warmup_ms === undefined ? 2000 : cfg.warmup_ms);
  }
  let step = 1;
  for (const rate of cfg.rates) {
    out({ type: 'step_start', step, offered_rate: rate });
    // Each message reaches the listeners of its own room: all of them, or one room's share.
    const perMessage = cfg.spread_rooms ? receivers.length / cfg.spread_rooms.length : receivers.length;
    const r = await runStep(step, rate, senders, cfg.mode === 'votes' ? 0 : perMessage, op);
    out(r);
    step++;
    const p99 = cfg.stop_on === 'ack' ? r.ack.p99 : r.latency.p99;
    const behind = cfg.stop_on === 'ack' ? r.acked < r.sent * 0.99 : r.delivered_ratio !== null && r.delivered_ratio < 0.99;
    if (p99 === null || p99 > cfg.stop_p99_ms || behind || r.ack_failed > 0 || r.disconnected > 0) break;
    await sleep(cfg.pause_ms || 300);
  }
  if (cfg.mode === 'votes') {
    await sleep(500);
    out({ type: 'votes_final', expected_upvotes: senders.reduce((a, c) => a + (c.myVote === 1 ? 1 : 0), 0) });
  }
}

async function connectOnly() {
  for (let i = 0; i < cfg.clients; i++) clients.push(new Client(i, cfg.cookies ? cfg.cookies[i % cfg.cookies.length] : null));
  const r = await connectAll(clients, cfg.connect_concurrency || 100);
  out({ type: 'connected', ...r, first_error: firstError });
  if (cfg.hold_ms) {
    out({ type: 'ready' });
    await sleep(cfg.hold_ms);
    // Connections the server (or anything between) dropped while they sat idle.
    out({ type: 'held', still_open: clients.filter((c) => c.ws && !c.closed).length, connected: r.connected });
  }
}

// Sequential acked calls, `count` per target, each target's ack latencies summarised in one line.
async function sequential(type, targets, count) {
  const c = new Client(0, cfg.cookies[0]);
  if ((await c.connect()) === null) throw new Error('connect failed: ' + firstError);
  for (const target of targets) {
    const h = new Histogram();
    let failed = 0;
    const deadline = now() + cfg.room_budget_ms;
    let done = 0;
    for (let i = 0; i < count; i++) {
      const r = await c.call(target.event, target.payload);
      if (r.ok) h.add(r.ms);
      else {
        failed++;
        if (!firstError) firstError = r.text;
      }
      done++;
      if (now() > deadline) break;
    }
    out({ type, ...target.label, calls: done, failed, ...h.summary(), first_error: firstError });
  }
}

// Joins of rooms holding 1k / 100k / 1M messages.
function joins() {
  const targets = cfg.rooms.map((room) => ({ event: 'join', payload: { room }, label: { room } }));
  return sequential('join', targets, cfg.joins_per_room);
}

// Top pages of the same rooms, for each window.
function tops() {
  const targets = [];
  for (const room of cfg.rooms) {
    for (const window of cfg.windows) {
      targets.push({ event: 'get_top', payload: { room, window, limit: 50 }, label: { room, window } });
    }
  }
  return sequential('top', targets, cfg.calls_per_target);
}

const modes = { sweep, votes: sweep, connect: connectOnly, join: joins, top: tops };
modes[cfg.mode]()
  .then(() => {
    for (const c of clients) if (c.ws) c.ws.terminate();
    out({ type: 'done' });
    process.exit(0);
  })
  .catch((e) => {
    out({ type: 'error', message: String(e && e.stack ? e.stack : e) });
    process.exit(1);
  });
