#!/usr/bin/env python3
"""make bench: measures steps 01, 02, 04, 05, 06 and 07 side by side, on 127.0.0.1.

Every point runs RUNS times; the servers take turns within each run
(interleaved, in an order that rotates from run to run), so a slow moment of
this shared machine hits them all alike. Each figure in the table is the
median of its runs, shown as a ratio to the best server in the same row. The
ratios between two servers below the table are the medians of each run's own
ratio, with their range: both servers of a pair were measured seconds apart.

Besides the clock, it reads each server's CPU time (all threads) and
divides it by the round trips served: other programs on the machine change
a round trip's clock time far more than the CPU time the server spends on it.
In the active rows that is the server's whole life (wait4); in the idle rows,
only the active client's round trips (load -P reads the server's CPU clock
just before and after them), not the setting up of the idle connections.

The idle curve: one active client's round trips/s and the server's CPU time
per round trip with 0, 1,000, 5,000 and 10,000 idle connections, for steps
02, 05 and 06: poll() is O(n) in the descriptors it watches, epoll_wait is
O(ready). There the active client does round trips for a fixed time
(CURVE_MS) rather than a fixed number, since the servers' rates differ by
hundreds of times. Idle 0 is the baseline load measures just before it
opens the idle connections. Drawn in bench/idle-curve.svg.

Step 07 speaks WebSocket, not plain TCP: load -W does the opening
handshake on each connection (it counts as part of the connect), sends each
message as a masked text frame and waits for the whole echoed frame, then
does the closing handshake. It is measured at 1 and 128 connections, in the
same rows as step 05 (the poll() loop it is built on), with the same
messages and the same number of round trips.

The targets of issue 10 (step 06 against step 05) and issue 11 (step 07
against step 05) are computed from the same runs and printed below the
table, each met or missed.

Besides the steps it measures a yardstick, bench/minimal-threaded.c: the
least a thread-per-client server of this protocol can do, built by this
script into a temporary directory.

Servers are stopped by PID: SIGTERM, then SIGKILL after STOP_WAIT seconds.
Steps 01 and 02 have no handler and die of SIGTERM (status 143), as
expected; steps 04 to 07 exit 0. The results say how each one ended.

Writes bench/results.md (the table), bench/chart.svg and bench/idle-curve.svg,
and prints the table.
Usage: bench/run.py [RUNS]   (default 5)
"""
import math
import os
import re
import resource
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
LOAD = os.path.join(BENCH, "load")
MINIMAL_SOURCE = os.path.join(BENCH, "minimal-threaded.c")

# How each server is expected to end on SIGTERM: steps 01 and 02 (and the
# yardstick) have no handler, so the signal kills them (status 143 in a
# shell); steps 04 to 07 stop cleanly and exit 0.
KILLED, CLEAN = -signal.SIGTERM, 0
SERVERS = {  # key: (name in the table, program, expected status)
    "01": ("step 01", os.path.join(REPO, "steps/01-blocking-server/server"), KILLED),
    "02": ("step 02", os.path.join(REPO, "steps/02-threaded-server/server"), KILLED),
    "04": ("step 04", os.path.join(REPO, "steps/04-robust-server/server"), CLEAN),
    "05": ("step 05", os.path.join(REPO, "steps/05-poll-server/server"), CLEAN),
    "06": ("step 06", os.path.join(REPO, "steps/06-epoll-server/server"), CLEAN),
    "07": ("step 07", os.path.join(REPO, "steps/07-websocket-server/server"), CLEAN),
    "min": ("yardstick", None, KILLED),  # bench/minimal-threaded.c, built in main()
}
ALL = ["01", "02", "04", "05", "06", "min"]
ORDER = ["01", "02", "04", "05", "06", "07", "min"]  # how the servers are listed
# What load needs besides a row's options, per server: step 07 speaks WebSocket.
LOAD_MODE = {"07": ["-W"]}
# (label, servers, load options): each row of the table. Connects are paced
# (-r 4, load's default) so that the article's backlog of 5 never overflows,
# except in the row that shows what a burst does. 128 connections do 1,000
# round trips each: with 200, a run lasted about 0.2 s, too short to tell
# apart servers 5% apart. Step 07 (WebSocket) only where issue 11 asks: at
# 1 and 128 connections.
ACTIVE_ROWS = [
    ("1 connection", [*ALL, "07"], ["-c", "1", "-n", "20000"]),
    ("16 connections", ALL, ["-c", "16", "-n", "1000"]),
    ("128 connections", ["02", "04", "05", "06", "07", "min"], ["-c", "128", "-n", "1000"]),
    ("128, all at once", ["02", "05", "06"], ["-c", "128", "-n", "200", "-r", "0", "-t", "3"]),
]
CURVE = ["02", "05", "06"]  # the servers of the idle curve
CURVE_IDLE = [1000, 5000, 10000]  # and its idle counts, besides 0
CURVE_MS = "300"  # how long the active client does round trips, each phase
IDLE_ROWS = [
    # 500 idle: fewer than step 04's limit on client threads, so every
    # server holds them all.
    ("500 idle + 1 active", ["02", "04", "05", "06"], ["-i", "500", "-n", "5000", "-t", "10"]),
    *[(f"{idle:,} idle + 1 active", CURVE, ["-i", str(idle), "-d", CURVE_MS, "-t", "30"])
      for idle in CURVE_IDLE],
]
# How many connects the idle rows keep waiting for a first reply at a time
# (load -r): 4 for the servers that listen with the article's backlog of 5,
# which a burst overflows (a dropped connect then waits a second or more to
# retry); 64 for those that listen with SOMAXCONN. It only paces the setting
# up of the idle connections: the active client measured is alone.
IDLE_PACING = {"02": "4", "04": "4", "05": "64", "06": "64"}
FLOOR = ["-f", "-n", "20000"]
STOP_WAIT = 5  # seconds a server gets to end after SIGTERM, before SIGKILL

running = set()       # servers started and not yet stopped
stop_outcomes = {}    # server key -> {outcome text: count}


def parse(line):
    return {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", line)}


def figures_of(output, what):
    figures = parse(output)
    if "rate" not in figures:
        raise RuntimeError(f"load printed no figures for {what}: {output!r}")
    return figures


def build_minimal(directory):
    program = os.path.join(directory, "minimal-threaded")
    compiler = os.environ.get("CC", "cc")
    subprocess.run([compiler, "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-O2",
                    "-pthread", "-o", program, MINIMAL_SOURCE], check=True)
    name, _, expected = SERVERS["min"]
    SERVERS["min"] = (name, program, expected)


def start_server(key):
    """Starts a server on port 0. Its log goes to a file: a pipe that nobody
    reads fills up (64 KiB), and then the server blocks in printf()."""
    name, program, _ = SERVERS[key]
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen([program, "-p", "0"], stdin=subprocess.DEVNULL,
                              stdout=log, stderr=subprocess.STDOUT)
    server.key, server.log = key, log
    running.add(server)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log.seek(0)
        match = re.search(r"Listening on .*:(\d+)\n", log.read())
        if match:
            return server, match.group(1)
        if server.poll() is not None:
            break
        time.sleep(0.01)
    log.seek(0)
    text = log.read()
    why = "did not start listening within 5 s" if server.returncode is None else \
        f"ended ({describe(server.returncode)}) before listening"
    stop(server)
    raise RuntimeError(f"{name} {why}; its log:\n{text}")


def stop(server):
    """Stops a server by its PID: SIGTERM, then SIGKILL if it has not ended
    within STOP_WAIT seconds. Records how it ended, and returns the CPU time
    (user + system, all its threads) it used in its life, in seconds."""
    if server.returncode is not None:  # reaped already: it ended by itself
        server.log.close()
        running.discard(server)
        return 0.0
    server.send_signal(signal.SIGTERM)  # a zombie takes it harmlessly
    outcome = None
    deadline = time.monotonic() + STOP_WAIT
    # os.wait4, not Popen.wait: it also returns the server's resource usage.
    pid, status, usage = os.wait4(server.pid, os.WNOHANG)
    while pid == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
        pid, status, usage = os.wait4(server.pid, os.WNOHANG)
    if pid == 0:
        server.kill()
        pid, status, usage = os.wait4(server.pid, 0)
        outcome = f"still running {STOP_WAIT} s after SIGTERM: killed"
    server.returncode = os.waitstatus_to_exitcode(status)
    outcome = outcome or describe(server.returncode)
    if server.returncode != SERVERS[server.key][2]:
        outcome += " (unexpected)"
        print(f"{SERVERS[server.key][0]}: {outcome}", file=sys.stderr)
    counts = stop_outcomes.setdefault(server.key, {})
    counts[outcome] = counts.get(outcome, 0) + 1
    server.log.close()
    running.discard(server)
    return usage.ru_utime + usage.ru_stime


def describe(status):
    if status == KILLED:
        return "ended by SIGTERM (status 143)"
    if status < 0:
        return f"ended by signal {-status}"
    return f"exit {status}"


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def run_active(key, options):
    """One measurement; adds the server's CPU time per round trip, which
    the other programs on the machine disturb far less than the clock."""
    server, port = start_server(key)
    try:
        result = subprocess.run([LOAD, "-p", port, *LOAD_MODE.get(key, []), *options], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=120)
        figures = figures_of(result.stdout, SERVERS[key][0])
    finally:
        cpu = stop(server)
    figures["cpu_us"] = cpu * 1e6 / figures["round_trips"] if figures["round_trips"] else 0
    return figures


def read_line(stream, seconds):
    """The first line of stream, or '' if none came within seconds."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout=seconds):
            return ""
    return stream.readline()


def run_idle(key, options):
    """Idle mode: load measures one client alone, then again with the idle
    connections open, reading the server's CPU clock around each (-P); it
    prints its figures, then holds the connections open until its stdin
    closes; meanwhile we read the server's memory."""
    server, port = start_server(key)
    rss_before = resident_kib(server.pid) / 1024
    load = subprocess.Popen([LOAD, "-p", port, *LOAD_MODE.get(key, []), "-r", IDLE_PACING[key],
                             "-P", str(server.pid), *options],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        figures = figures_of(read_line(load.stdout, 60), SERVERS[key][0])
        figures["rss_mib"] = resident_kib(server.pid) / 1024
        figures["rss_before_mib"] = rss_before
        figures["cpu_us"] = figures.pop("server_cpu_us")
        figures["alone_cpu_us"] = figures.pop("alone_server_cpu_us")
        return figures
    finally:
        load.stdin.close()
        try:
            load.wait(timeout=30)
        except subprocess.TimeoutExpired:
            load.kill()
            load.wait()
        load.stdout.close()
        stop(server)


def median(samples, key):
    return statistics.median(sample[key] for sample in samples)


def rotated(keys, run):
    """The servers of a row, in an order that changes from run to run."""
    turn = run % len(keys)
    return keys[turn:] + keys[:turn]


def measure(runs):
    samples = {}  # (row label, server key) -> [figures], one per run
    for run in range(runs):
        print(f"run {run + 1} of {runs}...", file=sys.stderr, flush=True)
        samples.setdefault(("floor", "floor"), []).append(figures_of(subprocess.run(
            [LOAD, *FLOOR], capture_output=True, text=True, timeout=60).stdout, "the floor"))
        for label, keys, options in ACTIVE_ROWS:
            for key in rotated(keys, run):
                samples.setdefault((label, key), []).append(run_active(key, options))
        for label, keys, options in IDLE_ROWS:
            for key in rotated(keys, run):
                samples.setdefault((label, key), []).append(run_idle(key, options))
    return samples


def ratio(value, best):
    return f"{value / best:.2f}×" if best else "n/a"


def paired(samples, a, b, field="rate"):
    """a ÷ b for one figure, where a and b are (row label, server key): the
    median and range over the runs of each run's own ratio. A b of
    (row label, server key, "alone") is the baseline that load measured in
    the same sample, before it opened the idle connections."""
    ratios = run_ratios(samples, a, b, field)
    if not ratios:
        return "n/a"
    return f"{statistics.median(ratios):.2f}× ({ratios[0]:.2f}–{ratios[-1]:.2f}×)"


def run_ratios(samples, a, b, field):
    """Each run's own a ÷ b, sorted (see paired)."""
    prefix = "alone_" if len(b) == 3 else ""
    return sorted(x[field] / y[prefix + field] for x, y in zip(samples[a], samples[b[:2]])
                  if y.get(prefix + field))


ONE, SIXTEEN, MANY, BURST = "1 connection", "16 connections", "128 connections", "128, all at once"
IDLE, MANY_IDLE = "500 idle + 1 active", "10,000 idle + 1 active"
CURVE_ROWS = [f"{idle:,} idle + 1 active" for idle in CURVE_IDLE]
# (what, load, a, b): the rows of the table of ratios, a ÷ b.
COMPARISONS = [
    *[("step 04 ÷ step 02: what robustness costs", row, (row, "04"), (row, "02"))
      for row in (ONE, SIXTEEN, MANY)],
    *[("step 02 ÷ yardstick", row, (row, "02"), (row, "min")) for row in (ONE, SIXTEEN, MANY)],
    *[("step 05 ÷ step 02", row, (row, "05"), (row, "02")) for row in (ONE, SIXTEEN, MANY)],
    *[("step 06 ÷ step 05", row, (row, "06"), (row, "05"))
      for row in (ONE, SIXTEEN, MANY, BURST, IDLE, *CURVE_ROWS)],
    *[("step 07 ÷ step 05: WebSocket over plain TCP", row, (row, "07"), (row, "05")) for row in (ONE, MANY)],
    ("step 01 ÷ step 02", SIXTEEN, (SIXTEEN, "01"), (SIXTEEN, "02")),
    ("step 02 ÷ ping-pong floor", ONE, (ONE, "02"), ("floor", "floor")),
    *[(f"{SERVERS[key][0]}'s active client: with 500 idle ÷ alone, just before", IDLE,
       (IDLE, key), (IDLE, key, "alone")) for key in ("02", "04", "05", "06")],
    *[(f"{SERVERS[key][0]}'s active client: with 10,000 idle ÷ alone, just before", MANY_IDLE,
       (MANY_IDLE, key), (MANY_IDLE, key, "alone")) for key in CURVE],
]


def table(samples, runs, load_before, load_after):
    lines = [
        f"Medians of {runs} interleaved runs on 127.0.0.1. \"vs best\": the ratio to the best server in the"
        " same row. \"server CPU\": the server's CPU time per round trip. \"done\": all round trips done"
        " within the time limit. The yardstick is bench/minimal-threaded.c. Step 07 speaks WebSocket"
        " (load -W): each connection starts with the opening handshake, which counts in its first reply,"
        " and each round trip is a masked text frame and its echo, the same 64-byte message.",
        "",
        "| load | server | round trips/s | vs best | p50 latency | p99 latency | slowest first reply "
        "| server CPU | done |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    floor = samples[("floor", "floor")]
    lines.append(f"| 1 connection | ping-pong floor | {median(floor, 'rate'):,.0f} | | "
                 f"{median(floor, 'p50_us'):.0f} µs | {median(floor, 'p99_us'):.0f} µs | | | yes |")
    for label, keys, _ in ACTIVE_ROWS + IDLE_ROWS:
        best = max(median(samples[(label, key)], "rate") for key in keys)
        for key in keys:
            results = samples[(label, key)]
            rate = median(results, "rate")
            cpu = f"{median(results, 'cpu_us'):,.1f} µs"
            complete = "yes" if all(r.get("complete") == 1 for r in results) else "no"
            lines.append(
                f"| {label} | {SERVERS[key][0]} | {rate:,.0f} | {ratio(rate, best)} | "
                f"{median(results, 'p50_us'):,.0f} µs | {median(results, 'p99_us'):,.0f} µs | "
                f"{median(results, 'slowest_first_reply_ms'):,.1f} ms | {cpu} | {complete} |")

    lines += ["", "| idle connections | server | connections held | server memory (resident) "
              "| before the idle connections |",
              "|---|---|---:|---:|---:|"]
    for label, keys, _ in IDLE_ROWS:
        for key in keys:
            results = samples[(label, key)]
            lines.append(f"| {label.split(' +')[0]} | {SERVERS[key][0]} | "
                         f"{median(results, 'idle_held'):,.0f} | {median(results, 'rss_mib'):,.1f} MiB | "
                         f"{median(results, 'rss_before_mib'):,.1f} MiB |")

    lines += curve_table(samples)
    lines += targets(samples)

    lines += ["", "Ratios: each is the median of the runs' own ratios (their range). Server CPU time: in the"
              " active rows, the server's whole life ÷ its round trips; in the idle rows, across the active"
              " client's round trips only.", "",
              "| comparison | load | round trips/s | p50 latency | server CPU |",
              "|---|---|---:|---:|---:|"]
    for what, load, a, b in COMPARISONS:
        cpu = paired(samples, a, b, "cpu_us") if "cpu_us" in samples[a][0] and "cpu_us" in samples[b[:2]][0] else ""
        lines.append(f"| {what} | {load} | {paired(samples, a, b)} | {paired(samples, a, b, 'p50_us')} | {cpu} |")

    lines += [
        "",
        "How each server ended on SIGTERM (by PID, after every measurement): " + "; ".join(
            f"{SERVERS[key][0]}: " + ", ".join(f"{outcome} ×{count}" for outcome, count in outcomes.items())
            for key, outcomes in sorted(stop_outcomes.items(), key=lambda item: ORDER.index(item[0]))) + ".",
        "",
        f"Load average of the machine ({os.cpu_count()} cores), 1 minute: {load_before:.2f} before, "
        f"{load_after:.2f} after the run (the bench itself included).",
    ]
    return "\n".join(lines) + "\n"


def curve_points(samples, key, field):
    """The idle curve of one server: (idle connections, median of field),
    idle 0 being the baselines load measured alone in the curve's rows."""
    alone = [sample["alone_" + field] for row in CURVE_ROWS for sample in samples[(row, key)]]
    return [(0, statistics.median(alone))] + [
        (idle, median(samples[(row, key)], field)) for idle, row in zip(CURVE_IDLE, CURVE_ROWS)]


def curve_table(samples):
    lines = ["", f"The idle curve (bench/idle-curve.svg): one active client, doing round trips for {CURVE_MS} ms,"
             " while the server holds idle connections. Idle 0: the baselines load measured alone, just"
             " before opening the idle connections. Server CPU: per round trip of the active client.", "",
             "| idle connections | " + " | ".join(f"{SERVERS[key][0]} round trips/s | {SERVERS[key][0]} CPU"
                                                  for key in CURVE) + " |",
             "|---:|" + "---:|---:|" * len(CURVE)]
    curves = {key: (curve_points(samples, key, "rate"), curve_points(samples, key, "cpu_us")) for key in CURVE}
    for i, idle in enumerate([0, *CURVE_IDLE]):
        lines.append(f"| {idle:,} | " + " | ".join(
            f"{curves[key][0][i][1]:,.0f} | {curves[key][1][i][1]:,.1f} µs" for key in CURVE) + " |")
    return lines


def targets(samples):
    """Issue 10's targets for step 06, each from the same runs as step 05's
    figures: the median over the runs, and the range of the runs."""
    def verdict(met):
        return "**met**" if met else "**missed**"
    p99 = sorted(sample["p99_us"] for sample in samples[(MANY_IDLE, "06")])
    faster = run_ratios(samples, (MANY_IDLE, "06"), (MANY_IDLE, "05"), "rate")
    as_fast = run_ratios(samples, (MANY, "06"), (MANY, "05"), "rate")
    rss = sorted(sample["rss_mib"] for sample in samples[(MANY_IDLE, "06")])
    complete = all(sample.get("complete") == 1 for row, key in
                   [(MANY_IDLE, "05"), (MANY_IDLE, "06"), (MANY, "05"), (MANY, "06"), (ONE, "05"), (ONE, "07"),
                    (MANY, "07")] for sample in samples[(row, key)])
    return [
        "", "Targets (issues 10 and 11), steps 06 and 07 against step 05 in the same runs: the median over"
        " the runs (the range of the runs).", "",
        "| target | measured | verdict |", "|---|---|---|",
        f"| 10,000 idle + 1 active: step 06's active client p99 under 1 ms "
        f"| {statistics.median(p99):,.0f} µs ({p99[0]:,.0f}–{p99[-1]:,.0f} µs) "
        f"| {verdict(statistics.median(p99) < 1000)} |",
        f"| 10,000 idle + 1 active: step 06 ≥ 10× step 05's round trips/s "
        f"| {paired(samples, (MANY_IDLE, '06'), (MANY_IDLE, '05'))} "
        f"| {verdict(bool(faster) and statistics.median(faster) >= 10)} |",
        f"| 128 connections: step 06 ≥ 0.95× step 05's round trips/s "
        f"| {paired(samples, (MANY, '06'), (MANY, '05'))} "
        f"| {verdict(bool(as_fast) and statistics.median(as_fast) >= 0.95)} |",
        f"| 10,000 idle connections: step 06 under 8 MiB resident (the whole server) "
        f"| {statistics.median(rss):.1f} MiB ({rss[0]:.1f}–{rss[-1]:.1f} MiB) "
        f"| {verdict(statistics.median(rss) < 8)} |",
        *websocket_targets(samples, verdict),
        *([] if complete else ["", "Some of these runs did not complete all their round trips (see "
                               "\"done\" above): their figures cover what was done."]),
    ]


def websocket_targets(samples, verdict):
    """Issue 11's target: step 07's WebSocket echo at least 0.8x step 05's
    plain TCP round trips/s, at 1 and at 128 connections."""
    lines = []
    for row in (ONE, MANY):
        ratios = run_ratios(samples, (row, "07"), (row, "05"), "rate")
        lines.append(f"| {row}: step 07 (WebSocket echo) ≥ 0.8× step 05's round trips/s "
                     f"| {paired(samples, (row, '07'), (row, '05'))} "
                     f"| {verdict(bool(ratios) and statistics.median(ratios) >= 0.8)} |")
    return lines


def nice_step(rough):
    """1, 2 or 5 times a power of ten, at least rough: a round tick step."""
    power = 10 ** math.floor(math.log10(rough))
    return next(power * m for m in (1, 2, 5, 10) if power * m >= rough)


COLOURS = {"01": "#c0392b", "02": "#2874a6", "04": "#b9770e", "05": "#239b56", "06": "#7d3c98",
           "07": "#148f9c"}
NAMES = {"01": "step 01, blocking", "02": "step 02, threads", "04": "step 04, robust threads",
         "05": "step 05, poll()", "06": "step 06, epoll", "07": "step 07, WebSocket"}
PLOT_WIDTH = 700  # the width of a bar panel's axes, in pixels


def bar_panel(samples, field, title, unit, top_y):
    """One grouped bar chart, 1, 16 and 128 connections, its top at top_y."""
    rows = [(label, [key for key in keys if key != "min"]) for label, keys, _ in ACTIVE_ROWS[:3]]
    left, height, bar, gap = 70, 210, 30, 40
    bottom = top_y + height
    top = max(median(samples[(label, key)], field) for label, keys in rows for key in keys)
    step = nice_step(top / 4)
    top = step * -(-top // step)  # the axis ends on a round number
    parts = [f'<text x="{left}" y="{top_y - 12}" font-size="14">{title}</text>']
    for tick in range(0, int(round(top / step)) + 1):
        value = step * tick
        y = bottom - height * value / top
        label = f"{value / 1000:g}k" if unit == "k" else f"{value:g} µs"
        parts.append(f'<line x1="{left}" y1="{y:.0f}" x2="{left + PLOT_WIDTH}" y2="{y:.0f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end">{label}</text>')
    x = left + 20
    for label, keys in rows:
        start = x
        for key in keys:
            h = height * median(samples[(label, key)], field) / top
            parts.append(f'<rect x="{x}" y="{bottom - h:.0f}" width="{bar}" height="{h:.0f}" fill="{COLOURS[key]}"/>')
            parts.append(f'<text x="{x + bar / 2}" y="{bottom - h - 4:.0f}" text-anchor="middle">{key}</text>')
            x += bar + 4
        parts.append(f'<text x="{(start + x) / 2:.0f}" y="{bottom + 18}" text-anchor="middle">{label}</text>')
        x += gap
    return parts


def chart(samples):
    """Two grouped bar charts, drawn as plain SVG: round trips per second,
    and the server's CPU time per round trip."""
    width, height = 960, 600
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    parts += bar_panel(samples, "rate", "Round trips per second (median; higher is better)", "k", 40)
    parts += bar_panel(samples, "cpu_us", "Server CPU time per round trip (median; lower is better)", "µs", 340)
    legend_x = width - 175
    parts += legend(COLOURS, legend_x, 40)
    parts.append(f'<text x="{legend_x}" y="{50 + 18 * len(COLOURS) + 10}">127.0.0.1, {os.cpu_count()} cores;</text>')
    parts.append(f'<text x="{legend_x}" y="{50 + 18 * len(COLOURS) + 28}">step 01 not run at 128,</text>')
    parts.append(f'<text x="{legend_x}" y="{50 + 18 * len(COLOURS) + 46}">step 07 not at 16</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def legend(keys, x, y):
    parts = []
    for i, key in enumerate(keys):
        parts.append(f'<rect x="{x}" y="{y + 18 * i}" width="12" height="12" fill="{COLOURS[key]}"/>')
        parts.append(f'<text x="{x + 18}" y="{y + 10 + 18 * i}">{NAMES[key]}</text>')
    return parts


def curve_panel(curves, title, top_y, log_scale, label):
    """One line chart: a line per server, idle connections along x (linear),
    the figure up y (log or linear), its top at top_y."""
    left, width, height = 80, 560, 200
    bottom = top_y + height
    values = [value for points in curves.values() for _, value in points]
    if log_scale:  # a 0 (a run that did no round trip) is drawn at the bottom
        positive = [value for value in values if value > 0] or [1]
        low, high = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
        high = max(high, low + 1)
        ticks = [10 ** power for power in range(low, high + 1)]

        def y_of(value):
            return bottom - height * (math.log10(max(value, 10 ** low)) - low) / (high - low)
    else:
        step = nice_step(max(max(values), 1) / 4)
        top = max(step * -(-max(values) // step), step)
        ticks = [step * tick for tick in range(0, int(round(top / step)) + 1)]

        def y_of(value):
            return bottom - height * value / top
    last_idle = CURVE_IDLE[-1]

    def x_of(idle):
        return left + width * idle / last_idle

    parts = [f'<text x="{left}" y="{top_y - 12}" font-size="14">{title}</text>']
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.0f}" x2="{left + width}" y2="{y:.0f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end">{label(tick)}</text>')
    for idle in [0, *CURVE_IDLE]:
        parts.append(f'<text x="{x_of(idle):.0f}" y="{bottom + 18}" text-anchor="middle">{idle:,}</text>')
    parts.append(f'<text x="{left + width / 2:.0f}" y="{bottom + 36}" text-anchor="middle">'
                 'idle connections held by the server</text>')
    for key, points in curves.items():
        path = " ".join(f"{x_of(idle):.1f},{y_of(value):.1f}" for idle, value in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[key]}" stroke-width="2"/>')
        for idle, value in points:
            parts.append(f'<circle cx="{x_of(idle):.1f}" cy="{y_of(value):.1f}" r="3.5" fill="{COLOURS[key]}"/>')
    return parts


def idle_curve(samples):
    """The O(n) versus O(ready) curve, as plain SVG: the active client's
    round trips per second (log scale) and the server's CPU time per round
    trip (linear scale), against the idle connections held."""
    width, height = 900, 640
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    rates = {key: curve_points(samples, key, "rate") for key in CURVE}
    cpus = {key: curve_points(samples, key, "cpu_us") for key in CURVE}
    parts += curve_panel(rates, "One active client's round trips per second (median; log scale; higher is better)",
                         40, True, lambda value: f"{value:,.0f}")
    parts += curve_panel(cpus, "Server CPU time per round trip (median; linear scale; lower is better)",
                         360, False, lambda value: f"{value:,.0f} µs")
    legend_x = width - 235
    parts += legend(CURVE, legend_x, 40)
    y = 50 + 18 * len(CURVE) + 10
    parts.append(f'<text x="{legend_x}" y="{y}">at {CURVE_IDLE[-1]:,} idle:</text>')
    for i, key in enumerate(CURVE):
        parts.append(f'<text x="{legend_x}" y="{y + 18 * (i + 1)}" fill="{COLOURS[key]}">'
                     f'{SERVERS[key][0]}: {rates[key][-1][1]:,.0f}/s, {cpus[key][-1][1]:,.1f} µs</text>')
    parts.append(f'<text x="{legend_x}" y="{y + 18 * (len(CURVE) + 2)}">127.0.0.1, {os.cpu_count()} cores</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def allow_descriptors(needed):
    """The servers inherit our descriptor limit (step 02 does not raise its
    own): raise the soft limit to the hard one if it is below needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < needed:
        sys.exit(f"bench/run.py: {max(CURVE_IDLE):,} idle connections need {needed:,} descriptors; "
                 f"the limit is {soft:,} (ulimit -n)")


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    allow_descriptors(max(CURVE_IDLE) + 64)
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        build_minimal(directory)
        try:
            samples = measure(runs)
        finally:
            for server in list(running):  # after an error: leave no server behind
                stop(server)
    text = table(samples, runs, load_before, os.getloadavg()[0])
    with open(os.path.join(BENCH, "results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(BENCH, "chart.svg"), "w", encoding="utf-8") as f:
        f.write(chart(samples))
    with open(os.path.join(BENCH, "idle-curve.svg"), "w", encoding="utf-8") as f:
        f.write(idle_curve(samples))
    print(text)
    print(f"took {time.monotonic() - started:.0f} s; wrote bench/results.md, bench/chart.svg and "
          "bench/idle-curve.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
