// Many hyco-ws senders in one Node process, for the many-senders benchmark.
// Connects `senders` WebSocket senders, then each sends `messages` binary
// messages of `size` bytes to an echoing listener, either one at a time
// (`mode` "sequential": send, await the echo) or all at once ("pipelined"),
// and records each message's round trip. Prints one "result" line:
// {elapsedMs (first send to last echo, all senders), rtts: {p50, p99} in ms,
// messages}, then closes every sender with 1000 and exits 0.
// config: {sendUri, tokenUri, keyName, key, senders, messages, size, mode, seconds}
'use strict';
const { config, sdk, emit, exit, deadline } = require('../../tests/interop/node/common');
const cfg = config();
deadline(cfg.seconds || 300);
const WebSocket = sdk('hyco-ws');
const token = WebSocket.createRelayToken(cfg.tokenUri, cfg.keyName, cfg.key);
const payload = Buffer.alloc(cfg.size || 1024, 7);
const rtts = [];

function open() {
  return new Promise(function (resolve, reject) {
    const ws = WebSocket.relayedConnect(cfg.sendUri, token, function () { resolve(ws); });
    ws.on('error', reject);
  });
}

function sequential(ws) {
  return new Promise(function (resolve) {
    let left = cfg.messages;
    let sentAt = 0;
    ws.on('message', function () {
      rtts.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
      if (--left === 0) { resolve(); return; }
      sentAt = process.hrtime.bigint();
      ws.send(payload, { binary: true });
    });
    sentAt = process.hrtime.bigint();
    ws.send(payload, { binary: true });
  });
}

function pipelined(ws) {
  return new Promise(function (resolve) {
    const sentAt = [];
    let received = 0;
    ws.on('message', function () {
      rtts.push(Number(process.hrtime.bigint() - sentAt[received]) / 1e6);
      if (++received === cfg.messages) { resolve(); }
    });
    for (let i = 0; i < cfg.messages; i++) {
      sentAt.push(process.hrtime.bigint());
      ws.send(payload, { binary: true });
    }
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main() {
  const sockets = await Promise.all(Array.from({ length: cfg.senders }, open));
  const run = cfg.mode === 'pipelined' ? pipelined : sequential;
  const started = process.hrtime.bigint();
  await Promise.all(sockets.map(run));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  rtts.sort(function (a, b) { return a - b; });
  emit('result', { elapsedMs: elapsedMs, messages: rtts.length,
    p50: percentile(rtts, 0.5), p99: percentile(rtts, 0.99) });
  let open_ = sockets.length;
  sockets.forEach(function (ws) {
    ws.on('close', function () { if (--open_ === 0) { exit(0); } });
    ws.close(1000, 'done');
  });
}
main().catch(function (err) { emit('error', { message: String(err && err.message || err) }); exit(2); });
