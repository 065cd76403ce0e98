#!/usr/bin/env node
// A real client, not ours: headless Chromium (the system's, driven by
// playwright-core) opens the server's page, types messages into it as a user
// would, and waits for the page to show them coming back as Received "...".
// It records the WebSocket frames the browser sent and received, saves a
// screenshot, and prints one line per thing seen; tests/websocket-clients.bats
// asserts these lines.
//
// Usage: node browser.js PORT SCREENSHOT.png [HOST]
// CHROMIUM= names another browser binary (default /usr/bin/chromium).
// Exit status: 0 when every check passed, 1 when one failed (its line starts
// with "FAIL"), 2 on a usage error.
'use strict';

const { TIMEOUT_MS, check, within, launchChromium, run } = require('./report');

const MESSAGES = ['Hello, WebSocket!', 'Grüße from Chromium ✓'];

const [port, screenshot, host = '127.0.0.1'] = process.argv.slice(2);
if (!/^[0-9]+$/.test(port || '') || !screenshot) {
    console.error('usage: node browser.js PORT SCREENSHOT.png [HOST]');
    process.exit(2);
}
const pageUrl = `http://${host}:${port}/`;

// Payloads as text: Playwright gives text frames as strings, binary as Buffers.
const show = (payload) => (typeof payload === 'string' ? payload : `<${payload.length} binary bytes>`);

// Before any script of the page runs, keep every WebSocket it creates, so that
// we can wait until one is open (readyState 1) before typing: a message typed
// while the socket is still connecting would be the page's problem, not the
// server's.
function trackSockets() {
    const Original = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Original {
        constructor(...args) {
            super(...args);
            window.__sockets.push(this);
        }
    };
}

// Types a message as a user would: into the page's text field, then Enter if
// the field is in a form, else a click on the page's button.
async function typeMessage(page, message) {
    const field = page.locator('input:not([type]), input[type=text], textarea').first();
    await field.fill(message, { timeout: TIMEOUT_MS });
    const inForm = await field.evaluate((element) => element.form !== null && element.form !== undefined);
    const buttons = page.locator('button, input[type=submit], input[type=button]');
    if (inForm || (await buttons.count()) === 0) {
        await field.press('Enter');
    } else {
        await buttons.first().click({ timeout: TIMEOUT_MS });
    }
}

async function main() {
    const browser = await launchChromium();
    try {
        // A small window at twice the pixel density: a crisp picture for the notes.
        const page = await browser.newPage({ viewport: { width: 640, height: 240 }, deviceScaleFactor: 2 });
        page.setDefaultTimeout(TIMEOUT_MS);
        const frames = [];
        const sockets = [];
        let socketClosed = null;
        page.on('websocket', (ws) => {
            sockets.push(ws.url());
            ws.on('framesent', (frame) => frames.push({ way: 'sent', payload: frame.payload }));
            ws.on('framereceived', (frame) => frames.push({ way: 'received', payload: frame.payload }));
            socketClosed = new Promise((resolve) => ws.on('close', resolve));
        });
        page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
        await page.addInitScript(trackSockets);

        const response = await page.goto(pageUrl, { timeout: TIMEOUT_MS });
        check(response.status() === 200 && /text\/html/.test(response.headers()['content-type'] || ''),
            `GET ${pageUrl}: ${response.status()} ${response.headers()['content-type']}`);

        await page.waitForFunction(() => window.__sockets.some((socket) => socket.readyState === 1));
        check(sockets.length === 1, `the page opened ${sockets.length} WebSocket: ${sockets.join(' ')}`);

        for (const message of MESSAGES) {
            await typeMessage(page, message);
            const expected = `Received "${message}"`;
            const shown = await page
                .waitForFunction((text) => document.body.innerText.includes(text), expected)
                .then(() => true, () => false);
            check(shown, `the page shows: ${expected}`);
        }

        // What went over the wire, as the browser saw it.
        for (const message of MESSAGES) {
            const sent = frames.some((f) => f.way === 'sent' && f.payload === message);
            const received = frames.some((f) => f.way === 'received' && f.payload === message);
            check(sent, `browser sent a text frame: ${message}`);
            check(received, `browser received a text frame: ${message}`);
        }
        for (const frame of frames) console.log(`frame ${frame.way}: ${show(frame.payload)}`);

        await page.screenshot({ path: screenshot, fullPage: true });
        console.log(`screenshot: ${screenshot}`);

        // The page's socket closes with 1000, as a page's script would; the
        // browser reports the code the server answered with, and whether the
        // closing handshake completed (wasClean).
        const close = await within(page.evaluate(() => new Promise((resolve) => {
            const socket = window.__sockets[0];
            socket.addEventListener('close', (event) => resolve({ code: event.code, wasClean: event.wasClean }));
            socket.close(1000, 'bye');
        })), 'close 1000');
        check(close.code === 1000 && close.wasClean,
            `close 1000: the page saw code ${close.code}, wasClean ${close.wasClean}`);
        await within(socketClosed, 'the browser reporting the WebSocket closed');
        console.log('the browser reported the WebSocket closed');
    } finally {
        await browser.close();
    }
}

run(main);
