#!/usr/bin/env node
// A real client, not ours: the npm package `ws` talks to a WebSocket echo
// server and prints one line per thing a user of that library would see.
// tests/websocket-clients.bats asserts these lines.
//
// Usage: node ws-client.js PORT [HOST]
// Exit status: 0 when every check passed, 1 when one failed (its line starts
// with "FAIL"), 2 on a usage error.
'use strict';

const { check, run } = require('./report');

const crypto = require('node:crypto');
const WebSocket = require('ws');

const TIMEOUT_MS = 10000; // each awaited event; the whole run takes well under 1 s

const [port, host = '127.0.0.1'] = process.argv.slice(2);
if (!/^[0-9]+$/.test(port || '')) {
    console.error('usage: node ws-client.js PORT [HOST]');
    process.exit(2);
}
const url = `ws://${host}:${port}/`;


// Messages straddling the frame length encodings: 7 bits (0..125), 16 bits
// (126..65535), 64 bits (65536 and up), and 1 MiB.
const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20];

// Text of exactly n bytes of UTF-8, with two- and three-byte characters in it.
function textOfBytes(n) {
    const pattern = 'Grüße ✓ '; // 12 bytes
    let text = pattern.repeat(Math.floor(n / 12));
    return text + 'a'.repeat(n - Buffer.byteLength(text));
}

// One connection, with its events turned into promises taken in order.
function connect() {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(url); // offers permessage-deflate by default
        const messages = [];
        const pongs = [];
        const waiting = { message: null, pong: null };
        ws.on('message', (data, isBinary) => {
            messages.push({ data, isBinary });
            if (waiting.message) waiting.message();
        });
        ws.on('pong', (data) => {
            pongs.push(data);
            if (waiting.pong) waiting.pong();
        });
        ws.closed = new Promise((done) => ws.on('close', (code, reason) =>
            done({ code, reason: reason.toString() })));
        const next = (queue, kind) => new Promise((got, failed) => {
            if (queue.length) return got(queue.shift());
            const timer = setTimeout(() => failed(new Error(`no ${kind} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
            waiting[kind] = () => {
                clearTimeout(timer);
                waiting[kind] = null;
                got(queue.shift());
            };
        });
        ws.nextMessage = () => next(messages, 'message');
        ws.nextPong = () => next(pongs, 'pong');
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
    });
}

function withTimeout(promise, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function echoes(ws, label, payload, binary) {
    ws.send(payload, { binary });
    const { data, isBinary } = await ws.nextMessage();
    const sent = Buffer.from(payload);
    const kind = binary ? 'binary' : 'text';
    check(isBinary === binary && data.equals(sent),
        `${label} ${sent.length} bytes: echoed as ${isBinary ? 'binary' : 'text'}, ` +
        (data.equals(sent) ? 'equal' : `DIFFERENT (${data.length} bytes back)`) +
        (isBinary === binary ? '' : ` (sent as ${kind})`));
}

async function closeWith(code, reason) {
    const ws = await connect();
    ws.close(code, reason);
    const closed = await withTimeout(ws.closed, `close ${code}`);
    check(closed.code === code, `close ${code}: server echoed ${closed.code}`);
}

async function main() {
    const ws = await connect();
    // The server declines permessage-deflate by not answering it.
    check(ws.extensions === '', `connected to ${url}, extensions "${ws.extensions}"`);

    for (const size of SIZES) await echoes(ws, 'text', textOfBytes(size), false);
    for (const size of SIZES) await echoes(ws, 'binary', crypto.randomBytes(size), true);

    ws.ping(Buffer.from('are you there?'));
    const pong = await ws.nextPong();
    check(pong.toString() === 'are you there?', `ping: pong with the same payload "${pong}"`);

    // One message in three frames (fin: false until the last), with a ping
    // between two of them, as RFC 6455 5.4 allows.
    ws.send('Hello, ', { fin: false });
    ws.ping(Buffer.from('between fragments'));
    ws.send('fragmented ', { fin: false });
    ws.send('world ✓', { fin: true });
    const between = await ws.nextPong();
    check(between.toString() === 'between fragments',
        `ping between fragments: pong "${between}"`);
    const whole = await ws.nextMessage();
    check(!whole.isBinary && whole.data.toString() === 'Hello, fragmented world ✓',
        `fragmented text in 3 frames: echoed as one ${whole.isBinary ? 'binary' : 'text'} message "${whole.data}"`);

    ws.send(Buffer.from([0, 1, 2]), { binary: true, fin: false });
    ws.send(Buffer.from([253, 254, 255]), { binary: true, fin: true });
    const bytes = await ws.nextMessage();
    check(bytes.isBinary && bytes.data.equals(Buffer.from([0, 1, 2, 253, 254, 255])),
        `fragmented binary in 2 frames: echoed as one ${bytes.isBinary ? 'binary' : 'text'} message of ${bytes.data.length} bytes`);

    ws.close(1000, 'bye');
    const closed = await withTimeout(ws.closed, 'close 1000');
    check(closed.code === 1000, `close 1000: server echoed ${closed.code}`);

    await closeWith(4000, 'application code');
}

run(main);
