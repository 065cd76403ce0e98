// What the node client scripts here share: one line per check, starting with
// "FAIL" when it failed; waits that name what did not come; the system's
// Chromium; and the exit status tests/websocket-clients.bats relies on
// (0 all passed, 1 one failed; usage errors exit 2 in each script).
'use strict';

const TIMEOUT_MS = 10000; // each awaited event

let failed = false;
function check(ok, line) {
    console.log(ok ? line : `FAIL ${line}`);
    if (!ok) failed = true;
}

// Resolves as PROMISE does, or rejects after MS naming WHAT.
function within(promise, what, ms = TIMEOUT_MS) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Headless Chromium, the system's; CHROMIUM= names another binary.
function launchChromium() {
    const { chromium } = require('playwright-core');
    return chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox'],
        timeout: 20000,
    });
}

// Runs the async MAIN, then exits 1 if a check failed or MAIN threw.
function run(main) {
    main().then(
        () => process.exit(failed ? 1 : 0),
        (error) => {
            console.log(`FAIL ${error.message.split('\n')[0]}`);
            process.exit(1);
        });
}

module.exports = { TIMEOUT_MS, check, within, launchChromium, run };
