// Shared helpers for the interop scripts: configuration from one JSON argument,
// JSON-lines output on stdout (one object per line, each with an "event" key).
'use strict';
const path = require('path');

function config() {
  const raw = process.argv[2];
  if (!raw) { throw new Error('usage: node script.js <json-config>'); }
  return JSON.parse(raw);
}

function sdk(name) {
  const dir = process.env.RELAYDESK_INTEROP_DIR;
  if (!dir) { throw new Error('RELAYDESK_INTEROP_DIR is not set'); }
  return require(path.join(dir, name));
}

function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event: event }, fields || {})) + '\n');
}

// process.exit() drops stdout still queued for a pipe: exit once it is flushed.
function exit(code) {
  process.stdout.write('', function () { process.exit(code); });
}

// Never hang: every script ends by itself.
function deadline(seconds) {
  setTimeout(function () { emit('timeout', { seconds: seconds }); exit(3); }, seconds * 1000).unref();
}

module.exports = { config, sdk, emit, exit, deadline };
