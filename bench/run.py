#!/usr/bin/env python3
"""make bench: measures steps 01, 02 and 04 side by side, on 127.0.0.1.

Every point runs REPEATS times; the servers take turns within each round
(interleaved), so a slow moment of this shared machine hits them all alike.
Each figure is the median of its repeats, and is shown as a ratio to the
best server in the same row of the same run.

Writes bench/results.md (the table) and bench/chart.svg, and prints the table.
Usage: bench/run.py [REPEATS]   (default 3)
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
LOAD = os.path.join(BENCH, "load")
SERVERS = {
    "01": os.path.join(REPO, "steps/01-blocking-server/server"),
    "02": os.path.join(REPO, "steps/02-threaded-server/server"),
    "04": os.path.join(REPO, "steps/05-poll-server/server"),
}
# (label, servers, load options): each row of the table.
ACTIVE_ROWS = [
    ("1 connection", ["01", "02", "04"], ["-c", "1", "-n", "5000"]),
    ("16 connections", ["01", "02", "04"], ["-c", "16", "-n", "1000"]),
    ("128 connections", ["02", "04"], ["-c", "128", "-n", "200"]),
    ("128, all at once", ["02", "04"], ["-c", "128", "-n", "200", "-r", "0", "-t", "10"]),
]
IDLE_ROWS = [
    ("1,000 idle + 1 active", ["02", "04"], ["-i", "1000", "-n", "1000", "-r", "4"]),
    ("10,000 idle + 1 active", ["04"], ["-i", "10000", "-n", "1000", "-r", "64"]),
]
FLOOR = ["-f", "-n", "5000"]


def parse(line):
    return {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", line)}


def start_server(step):
    """Starts a server on port 0. Its log goes to a file: a pipe that nobody
    reads fills up (64 KiB), and then the server blocks in printf()."""
    log = tempfile.NamedTemporaryFile(mode="w+", prefix="bench-server-", delete=True)
    server = subprocess.Popen([SERVERS[step], "-p", "0"], stdout=log, stderr=subprocess.DEVNULL)
    server.log = log
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log.seek(0)
        match = re.search(r"Listening on .*:(\d+)\n", log.read())
        if match:
            return server, match.group(1)
        time.sleep(0.01)
    raise RuntimeError(f"step {step} did not start listening within 5 s")


def stop(server):
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.log.close()


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def run_active(step, options):
    server, port = start_server(step)
    try:
        result = subprocess.run([LOAD, "-p", port, *options], capture_output=True, text=True, timeout=120)
        return parse(result.stdout)
    finally:
        stop(server)


def run_idle(step, options):
    """Idle mode: load prints its figures, then holds the connections open
    until its stdin closes; meanwhile we read the server's memory."""
    server, port = start_server(step)
    load = subprocess.Popen([LOAD, "-p", port, *options], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        figures = parse(load.stdout.readline())
        figures["rss_mib"] = resident_kib(server.pid) / 1024
        return figures
    finally:
        load.stdin.close()
        load.wait(timeout=60)
        stop(server)


def median(samples, key):
    return statistics.median(sample[key] for sample in samples)


def measure(repeats):
    samples = {}  # (row label, server) -> [figures]
    for round_number in range(repeats):
        print(f"round {round_number + 1} of {repeats}...", file=sys.stderr, flush=True)
        samples.setdefault(("floor", "floor"), []).append(parse(subprocess.run(
            [LOAD, *FLOOR], capture_output=True, text=True, timeout=60).stdout))
        for label, steps, options in ACTIVE_ROWS:
            for step in steps:
                samples.setdefault((label, step), []).append(run_active(step, options))
        for label, steps, options in IDLE_ROWS:
            for step in steps:
                samples.setdefault((label, step), []).append(run_idle(step, options))
    return samples


def ratio(value, best):
    return f"{value / best:.2f}×" if best else "n/a"


def table(samples, repeats):
    lines = [
        f"Medians of {repeats} interleaved runs on 127.0.0.1; ratios are to the best server in the same row.",
        "",
        "| load | server | round trips/s | vs best | p50 latency | p99 latency | slowest first reply | complete |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    floor = median(samples[("floor", "floor")], "rate")
    lines.append(f"| 1 connection | ping-pong floor | {floor:,.0f} | | "
                 f"{median(samples[('floor', 'floor')], 'p50_us'):.0f} µs | "
                 f"{median(samples[('floor', 'floor')], 'p99_us'):.0f} µs | | yes |")
    for label, steps, _ in ACTIVE_ROWS + IDLE_ROWS:
        best = max(median(samples[(label, step)], "rate") for step in steps)
        for step in steps:
            runs = samples[(label, step)]
            rate = median(runs, "rate")
            complete = "yes" if all(run.get("complete") == 1 for run in runs) else "no (time limit)"
            lines.append(
                f"| {label} | step {step} | {rate:,.0f} | {ratio(rate, best)} | "
                f"{median(runs, 'p50_us'):,.0f} µs | {median(runs, 'p99_us'):,.0f} µs | "
                f"{median(runs, 'slowest_first_reply_ms'):,.1f} ms | {complete} |")
    lines += ["", "| idle connections | server | server memory (resident) |", "|---|---|---:|"]
    for label, steps, _ in IDLE_ROWS:
        for step in steps:
            lines.append(f"| {label.split(' +')[0]} | step {step} | "
                         f"{median(samples[(label, step)], 'rss_mib'):.1f} MiB |")
    step02 = median(samples[("1 connection", "02")], "rate")
    lines += ["", f"Step 02 at 1 connection: {step02 / floor:.2f}× the ping-pong floor's round trips per second."]
    lines.append(f"Step 04 at 128 connections: {median(samples[('128 connections', '04')], 'rate') / median(samples[('128 connections', '02')], 'rate'):.2f}× step 02's round trips per second.")
    return "\n".join(lines) + "\n"


def chart(samples):
    """A grouped bar chart of round trips per second, drawn as plain SVG."""
    rows = [(label, steps) for label, steps, _ in ACTIVE_ROWS[:3]]
    colours = {"01": "#c0392b", "02": "#2874a6", "04": "#239b56"}
    top = max(median(samples[(label, step)], "rate") for label, steps in rows for step in steps)
    width, height, left, bottom, bar, gap = 780, 300, 70, 250, 40, 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="20" font-size="14">Round trips per second (median), 127.0.0.1</text>']
    for tick in range(0, 5):
        value = top * tick / 4
        y = bottom - (bottom - 40) * tick / 4
        parts.append(f'<line x1="{left}" y1="{y:.0f}" x2="{width - 10}" y2="{y:.0f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end">{value / 1000:.0f}k</text>')
    x = left + 20
    for label, steps in rows:
        start = x
        for step in steps:
            rate = median(samples[(label, step)], "rate")
            h = (bottom - 40) * rate / top
            parts.append(f'<rect x="{x}" y="{bottom - h:.0f}" width="{bar}" height="{h:.0f}" fill="{colours[step]}"/>')
            parts.append(f'<text x="{x + bar / 2}" y="{bottom - h - 4:.0f}" text-anchor="middle">{step}</text>')
            x += bar + 4
        parts.append(f'<text x="{(start + x) / 2:.0f}" y="{bottom + 18}" text-anchor="middle">{label}</text>')
        x += gap
    legend_x = width - 170
    for i, (step, name) in enumerate([("01", "step 01, blocking"), ("02", "step 02, threads"), ("04", "step 04, poll()")]):
        parts.append(f'<rect x="{legend_x}" y="{40 + 18 * i}" width="12" height="12" fill="{colours[step]}"/>')
        parts.append(f'<text x="{legend_x + 18}" y="{50 + 18 * i}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    started = time.monotonic()
    samples = measure(repeats)
    text = table(samples, repeats)
    with open(os.path.join(BENCH, "results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(BENCH, "chart.svg"), "w", encoding="utf-8") as f:
        f.write(chart(samples))
    print(text)
    print(f"took {time.monotonic() - started:.0f} s; wrote bench/results.md and bench/chart.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
