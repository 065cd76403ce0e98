#!/usr/bin/env node
// A real WebSocket client, not ours, against a server that is not a WebSocket
// server: headless Chromium (the system's, driven by playwright-core, as in
// browser.js) opens a WebSocket server's page, then runs, in that page,
// new WebSocket('ws://HOST:TARGET_PORT/') to a plain TCP server such as step
// 02. It prints the error the browser's console shows, the events the page's
// socket gets, in order, and the close event's code and wasClean;
// tests/websocket-clients.bats asserts these lines.
//
// Usage: node browser-vs-tcp.js PAGE_PORT TARGET_PORT [HOST]
// CHROMIUM= names another browser binary (default /usr/bin/chromium).
// Exit status: 0 when the handshake failed as it should against a server that
// does not speak HTTP (an error, then a close that is not clean), 1 otherwise
// (a line starting with "FAIL" says why), 2 on a usage error.
'use strict';

const { TIMEOUT_MS, check, within, launchChromium, run } = require('./report');

const [pagePort, targetPort, host = '127.0.0.1'] = process.argv.slice(2);
if (!/^[0-9]+$/.test(pagePort || '') || !/^[0-9]+$/.test(targetPort || '')) {
    console.error('usage: node browser-vs-tcp.js PAGE_PORT TARGET_PORT [HOST]');
    process.exit(2);
}
const pageUrl = `http://${host}:${pagePort}/`;
const targetUrl = `ws://${host}:${targetPort}/`;

async function main() {
    const browser = await launchChromium();
    try {
        const page = await browser.newPage();
        page.setDefaultTimeout(TIMEOUT_MS);
        // The console's errors about the target, as a developer would see them.
        let consoleError;
        const consoleErrorSeen = new Promise((resolve) => {
            consoleError = resolve;
        });
        page.on('console', (message) => {
            if (message.type() === 'error' && message.text().includes(targetUrl)) {
                console.log(`console error: ${message.text()}`);
                consoleError();
            }
        });
        page.on('pageerror', (error) => console.log(`page error: ${error.message}`));

        const response = await page.goto(pageUrl, { timeout: TIMEOUT_MS });
        check(response.status() === 200, `GET ${pageUrl}: ${response.status()}`);

        // The page's own script, as any page's could: a socket to the target,
        // noting its events in order until it closes. Should it open (a
        // WebSocket server after all), the page closes it with 1000.
        const result = await within(page.evaluate((url) => new Promise((resolve) => {
            const events = [];
            const socket = new WebSocket(url);
            socket.addEventListener('open', () => {
                events.push('open');
                socket.close(1000);
            });
            socket.addEventListener('error', () => events.push('error'));
            socket.addEventListener('close', (event) => {
                events.push('close');
                resolve({ events, code: event.code, wasClean: event.wasClean });
            });
        }), targetUrl), `the page's socket to ${targetUrl} closing`);

        check(result.events.join(', ') === 'error, close',
            `the page's socket got: ${result.events.join(', ')}`);
        check(result.code === 1006 && !result.wasClean,
            `close: code ${result.code}, wasClean ${result.wasClean}`);
        // The console line comes from the browser, not the page: it may come
        // after the events; it should not come long after.
        await within(consoleErrorSeen, `a console error about ${targetUrl}`, 3000).catch((error) => {
            check(false, error.message);
        });
    } finally {
        await browser.close();
    }
}

run(main);
