#!/usr/bin/env python3
"""Turns the rows of loadtest/run.sh into a Markdown report and a PNG chart.

Medians over rounds; every ratio (zkgate/nginx, zkgate/direct, metrics on/off) is taken within one round, where the
runs it compares followed each other, and the median of those per-round ratios is reported: the machine is shared,
so a slow round moves both sides of a ratio together.

Usage: report.py --runs runs.tsv --meta meta.tsv --gateways gateways.tsv --out DIR [--gnuplot PATH]
Writes DIR/<stamp>.md, .tsv, .png (with gnuplot) and copies them to DIR/latest.*; prints the table.
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys

DESCRIPTIONS = {
    "direct-ka": "backend 1 hit directly (ceiling), keep-alive",
    "nginx-ka": "nginx reverse proxy, keep-alive",
    "zkgate-ka": "zkgate, 1 route, keep-alive",
    "zkgate-nometrics-ka": "zkgate, 1 route, `--metrics=false`, keep-alive",
    "zkgate-5routes-ka": "zkgate, 5-route table, keep-alive",
    "zkgate-20routes-ka": "zkgate, 20-route table, keep-alive",
    "zkgate-hash-ka": "zkgate, consistent hash on `X-User-Id`, keep-alive",
    "zkgate-lua-ka": "zkgate, Lua header-injection script, keep-alive",
    "direct-close": "backend 1 directly, new connection per request",
    "nginx-close": "nginx, new connection per request",
    "zkgate-close": "zkgate, 1 route, new connection per request",
    "zkgate-plain-ka": "zkgate, the limits plan's route without limits, keep-alive",
    "zkgate-ratelimit-ka": "zkgate, the same route with a `client_ip` rate limit that never refuses, keep-alive",
    "zkgate-cap-ka": "zkgate, the same route with `maxInFlight` never reached, keep-alive",
    "zkgate-ratelimit-cap-ka": "zkgate, the same route with both, keep-alive",
    "edge-base-ka": "zkgate, the edge plan's route: no CORS, `\"requestIds\": false`, keep-alive",
    "edge-base2-ka": "zkgate, the same route again under another prefix (the noise floor), keep-alive",
    "edge-ids-ka": "zkgate, the same route with request ids (the gateway's default), keep-alive",
    "edge-cors-ka": "zkgate, the same route with `cors`, keep-alive",
}
for _kind, _what in (("ka", "keep-alive, `ok`"), ("4k", "keep-alive, 4 KiB response"), ("1m", "keep-alive, 1 MiB response"),
                     ("close", "new connection per request"), ("tls", "HTTPS keep-alive (wrk)"),
                     ("handshake", "HTTPS, new connection and TLS handshake per request (wrk)")):
    DESCRIPTIONS.setdefault(f"direct-{_kind}", f"backend 1 directly, {_what}")
    DESCRIPTIONS.setdefault(f"nginx-{_kind}", f"nginx reverse proxy, {_what}")
    DESCRIPTIONS[f"zkgate-loop-{_kind}"] = f"zkgate `--engine loop`, 1 route, {_what}"
    DESCRIPTIONS[f"zkgate-servlet-{_kind}"] = f"zkgate `--engine servlet`, 1 route, {_what}"
    for _provider in ("jdk", "conscrypt"):  # TLS_PROVIDERS
        DESCRIPTIONS[f"zkgate-loop-{_provider}-{_kind}"] = (
            f"zkgate `--engine loop --tls-provider {_provider}`, 1 route, {_what}")


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            meta[key] = value
    return meta


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0, suffix=""):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{suffix}"


class Run:
    def __init__(self, row, tick):
        self.round = int(row["round"])
        self.scenario = row["scenario"]
        self.target = row["target"]
        self.mode = row["mode"]
        self.rps = float(row["rps"] or 0)
        self.mean = float(row["mean_ms"] or 0)
        self.p50 = float(row["p50_ms"] or 0)
        self.p95 = float(row["p95_ms"] or 0)
        self.p99 = float(row["p99_ms"] or 0)
        self.complete = int(row["complete"] or 0)
        self.failures = int(row["failed"] or 0) + int(row["non2xx"] or 0)
        n = max(self.complete, 1)
        self.cpu_us = int(row["target_ticks"]) / tick / n * 1e6
        self.ctx = int(row["target_ctx"]) / n
        backend = int(row["backend_ticks"])
        busy = int(row["busy_ticks"])
        own = int(row["target_ticks"])
        # CPU used by everything but the measured process and the backends (ApacheBench included, and any company).
        other = busy - backend if self.target == "direct" else busy - backend - own
        self.other_us = max(other, 0) / tick / n * 1e6
        self.backend_us = backend / tick / n * 1e6
        self.rss_mb = int(row["peak_rss_kb"] or 0) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--gateways", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gnuplot")
    args = ap.parse_args()

    meta = read_meta(args.meta)
    tick = int(meta.get("tick", "100"))
    runs = [Run(r, tick) for r in read_tsv(args.runs)]
    gateways = []
    with open(args.gateways) as f:
        for line in f:
            name, root, jdk, jvm, flags = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
            gateways.append((name, root, jdk, jvm, flags))

    rounds = sorted({r.round for r in runs})
    by = {}  # (round, scenario) -> Run
    order = []
    for r in runs:
        by[(r.round, r.scenario)] = r
        if r.scenario not in order:
            order.append(r.scenario)
    # Keep the declared order of the first round's rotation-free listing: direct, nginx, zkgate...
    order.sort(key=lambda s: (s.endswith("-close"), 0 if s.startswith("direct") else 1 if s.startswith("nginx") else 2))

    def ratio(s, base_of, attr="rps"):
        values = []
        for rd in rounds:
            a = by.get((rd, s))
            if a is None:
                continue
            b = by.get((rd, base_of(a)))
            if b is None or getattr(b, attr) == 0:
                continue
            values.append(getattr(a, attr) / getattr(b, attr))
        return med(values)

    def kind(run):
        """The scenario's kind after its target's name (ka, close, 4k, 1m), so it is compared with its like."""
        if run.scenario.startswith(run.target + "-"):
            k = run.scenario[len(run.target) + 1:]
            if (run.round, "nginx-" + k) in by or (run.round, "direct-" + k) in by:
                return k
        return "ka" if run.mode == "k" else "close"

    nginx_of = lambda run: "nginx-" + kind(run)
    direct_of = lambda run: "direct-" + kind(run)

    stats = {}
    for s in order:
        rs = [by[(rd, s)] for rd in rounds if (rd, s) in by]
        stats[s] = {
            "runs": rs,
            "target": rs[0].target,
            "rps": med(r.rps for r in rs),
            "mean": med(r.mean for r in rs),
            "p50": med(r.p50 for r in rs),
            "p95": med(r.p95 for r in rs),
            "p99": med(r.p99 for r in rs),
            "failures": sum(r.failures for r in rs),
            "requests": sum(r.complete for r in rs),
            "cpu": med(r.cpu_us for r in rs),
            "ctx": med(r.ctx for r in rs),
            "rss": max(r.rss_mb for r in rs),
            "x_nginx": None if s.startswith(("nginx", "direct")) else ratio(s, nginx_of),
            "x_direct": None if s.startswith("direct") else ratio(s, direct_of),
            "p99_x_nginx": None if s.startswith(("nginx", "direct")) else ratio(s, nginx_of, "p99"),
            "cpu_x_nginx": None if s.startswith(("nginx", "direct")) else ratio(s, nginx_of, "cpu_us"),
            "other": med(r.other_us for r in rs),
        }

    stamp = meta["stamp"]
    os.makedirs(args.out, exist_ok=True)
    md = []
    title = "zkgate load test" + (f": {meta['label']}" if meta.get("label") else "")
    md.append(f"# {title} ({stamp})\n")
    md.append(f"Command: `{meta.get('command', 'loadtest/run.sh')}`, commit {meta['commit']}.  ")
    md.append(f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory']}, {meta['kernel']}; "
              f"load average before {meta['load_before']}, after {meta['load_after']}.  ")
    md.append(f"JDK {meta['java']}; {meta['nginx'] or 'no nginx'}; {meta['ab']}.  ")
    md.append(f"Backends: {meta['backends']}, answering `ok`; " + (
        f"nginx reference proxy: `worker_processes {meta['nginx_workers']}`, upstream keep-alive.  "
        if meta.get("nginx") else "no nginx reference proxy.  "))
    md.append(f"ApacheBench: `-c {meta['concurrency']}`, {meta['duration']} s per run (`-t`), "
              f"{meta['rounds']} interleaved rounds after {meta['warmup']} s of warm-up load per gateway JVM; "
              f"runs without keep-alive stop at {meta['max_close_requests']} requests; whole run "
              f"{int(meta['seconds']) // 60} min {int(meta['seconds']) % 60} s.\n")
    md.append("Medians over the rounds; `× nginx` and `× direct` are medians of per-round ratios. "
              "CPU/req is the measured process's user + system CPU (all its threads) over the run divided by "
              "the requests: the gateway JVM, the nginx proxy's master and workers, or for `direct` the backend. "
              "Context switches likewise (every thread). Peak RSS is VmHWM. Failed counts ab's failed requests "
              "plus non-2xx responses, summed over all rounds. Percentiles are ab's (`-e`), in ms.\n")
    md.append("| scenario | req/s | × nginx | × direct | mean | p50 | p95 | p99 | p99 × nginx | failed "
              "| CPU µs/req | × nginx CPU | ctx sw/req | peak RSS MB |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in order:
        st = stats[s]
        md.append(f"| {s} | {fmt(st['rps'])} | {fmt(st['x_nginx'], 2)} | {fmt(st['x_direct'], 2)} "
                  f"| {fmt(st['mean'], 2)} | {fmt(st['p50'], 2)} | {fmt(st['p95'], 2)} | {fmt(st['p99'], 2)} "
                  f"| {fmt(st['p99_x_nginx'], 2)} | {st['failures']} | {fmt(st['cpu'], 1)} "
                  f"| {fmt(st['cpu_x_nginx'], 2)} | {fmt(st['ctx'], 2)} | {fmt(st['rss'])} |")
    md.append("")
    md.append("Scenarios:\n")
    for s in order:
        desc = DESCRIPTIONS.get(s)
        if desc is None:
            g = next((g for g in gateways if g[0] == stats[s]["target"]), None)
            desc = f"zkgate variant `{s}`, 1 route, keep-alive" + (
                f": JDK {g[2]}, JVM `{g[3]}`" + (f", flags `{g[4]}`" if g[4] else "") if g else "")
        md.append(f"- `{s}`: {desc}")
    md.append("")

    checks = []
    if "zkgate-ka" in stats and "nginx-ka" in stats:
        x = stats["zkgate-ka"]["x_nginx"]
        checks.append(("zkgate ≥ 0.8 × nginx req/s, keep-alive, c" + meta["concurrency"],
                       f"{x:.2f} ×", x is not None and x >= 0.8))
        p = stats["zkgate-ka"]["p99_x_nginx"]
        checks.append(("zkgate p99 ≤ 2 × nginx p99, keep-alive", f"{p:.2f} ×", p is not None and p <= 2.0))
    loop = {k: stats.get("zkgate-loop-" + k) for k in ("ka", "4k", "1m", "close", "tls", "handshake")}
    if loop["ka"] and None not in (loop["ka"]["x_nginx"], loop["ka"]["cpu_x_nginx"], loop["ka"]["p99_x_nginx"]):
        st = loop["ka"]
        checks.append(("loop engine ≥ 0.9 × nginx req/s, keep-alive", f"{st['x_nginx']:.2f} ×", st["x_nginx"] >= 0.9))
        checks.append(("loop engine CPU/req ≤ 1.3 × nginx", f"{st['cpu_x_nginx']:.2f} ×", st["cpu_x_nginx"] <= 1.3))
        checks.append(("loop engine context switches/req ≤ 0.5", f"{st['ctx']:.2f}", st["ctx"] <= 0.5))
        checks.append(("loop engine p99 ≤ 1.5 × nginx", f"{st['p99_x_nginx']:.2f} ×", st["p99_x_nginx"] <= 1.5))
    for k, floor in (("4k", 0.9), ("1m", 0.9), ("close", 0.8), ("tls", 0.8), ("handshake", 0.7)):
        st = loop[k]
        if st and st["x_nginx"] is not None:
            checks.append((f"loop engine ≥ {floor} × nginx req/s, {k}", f"{st['x_nginx']:.2f} ×",
                           st["x_nginx"] >= floor))
    for provider in ("jdk", "conscrypt"):  # TLS_PROVIDERS: the loop engine's TLS targets on each provider
        for k, floor in (("tls", 0.8), ("handshake", 0.7)):
            st = stats.get(f"zkgate-loop-{provider}-{k}")
            if st and st["x_nginx"] is not None:
                checks.append((f"loop engine, --tls-provider {provider} ≥ {floor} × nginx req/s, {k}",
                               f"{st['x_nginx']:.2f} ×", st["x_nginx"] >= floor))
    total_failures = sum(st["failures"] for st in stats.values())
    checks.append(("no failed requests (all scenarios)", str(total_failures), total_failures == 0))
    if "zkgate-ka" in stats and "zkgate-nometrics-ka" in stats:
        on_off = ratio("zkgate-ka", lambda run: "zkgate-nometrics-ka")
        cpu_on_off = ratio("zkgate-ka", lambda run: "zkgate-nometrics-ka", "cpu_us")
        checks.append(("metrics cost ≤ 3 % of req/s (metrics on / off, same round)",
                       f"{(1 - on_off) * 100:+.1f} % (on/off {on_off:.3f}; CPU/req on/off {cpu_on_off:.3f})",
                       on_off >= 0.97))
    if "edge-base-ka" in stats:  # EDGE=1: each feature against the same route without it, in the same gateway
        for feature, label in (("edge-ids-ka", "request ids"), ("edge-cors-ka", "CORS"),
                               ("edge-base2-ka", None)):
            if feature in stats:
                rr = ratio(feature, lambda run: "edge-base-ka")
                cr = ratio(feature, lambda run: "edge-base-ka", "cpu_us")
                what = (f"the same route again: within 2 % of req/s (the noise floor)" if feature == "edge-base2-ka"
                        else f"{label}: ≤ 2 % of req/s against the same route without it, same round")
                checks.append((what, f"{(1 - rr) * 100:+.1f} % ({rr:.3f} ×; CPU/req {cr:.3f} ×)",
                               0.98 <= rr <= (1.02 if feature == "edge-base2-ka" else float("inf"))))
    if checks:
        md.append("| target | measured | met |")
        md.append("|---|---|---|")
        for what, value, ok in checks:
            md.append(f"| {what} | {value} | {'yes' if ok else '**no**'} |")
        md.append("")

    md.append("Gateways measured (the JVM options each ran with, read from its command line):\n")
    md.append("| gateway | zkgate root | JDK | JVM options | flags |")
    md.append("|---|---|---|---|---|")
    for name, root, jdk, jvm, flags in gateways:
        md.append(f"| {name} | `{root}` | {jdk} | `{jvm}` | {('`' + flags + '`') if flags else '–'} |")
    md.append("")

    md.append("<details><summary>Every run</summary>\n")
    md.append("`other CPU µs/req`: CPU that neither the measured process nor the backends used during the run "
              "(ApacheBench, and anything else on the machine), per request; a run where it jumps had company.\n")
    md.append("| round | scenario | req/s | p99 ms | CPU µs/req | backends CPU µs/req | other CPU µs/req | failed |")
    md.append("|---:|---|---:|---:|---:|---:|---:|---:|")
    for rd in rounds:
        for s in order:
            r = by.get((rd, s))
            if r:
                md.append(f"| {rd} | {s} | {fmt(r.rps)} | {fmt(r.p99, 2)} | {fmt(r.cpu_us, 1)} "
                          f"| {fmt(r.backend_us, 1)} | {fmt(r.other_us, 1)} | {r.failures} |")
    md.append("\n</details>\n")

    base = os.path.join(args.out, stamp)
    chart = None
    if args.gnuplot:
        chart = draw(args.gnuplot, base + ".png", order, stats, meta)
    if chart:
        md.insert(1, f"![requests/s, p99 and CPU per request](latest.png)\n")
    text = "\n".join(md) + "\n"
    with open(base + ".md", "w") as f:
        f.write(text.replace("](latest.png)", f"]({stamp}.png)"))
    shutil.copyfile(args.runs, base + ".tsv")
    for ext in (".md", ".png", ".tsv"):
        if os.path.exists(base + ext):
            dst = os.path.join(args.out, "latest" + ext)
            if ext == ".md":
                with open(dst, "w") as f:
                    f.write(text)
            else:
                shutil.copyfile(base + ext, dst)
    print(text)
    print(f"written: {base}.md" + (f", {base}.png" if chart else "") + f", {base}.tsv and latest.*", file=sys.stderr)


def draw(gnuplot, png, order, stats, meta):
    dat = png[:-4] + ".chart.dat"
    colors = {"direct": "0x9e9e9e", "nginx": "0x2e7d32"}
    with open(dat, "w") as f:
        for s in order:
            st = stats[s]
            color = colors.get(st["target"], "0x1565c0")
            f.write(f"\"{s}\" {st['rps'] or 0:.1f} {st['p99'] or 0:.3f} {st['cpu'] or 0:.2f} {color}\n")
    title = f"{meta['cpu']}, {meta['cores']} cores; ab -c {meta['concurrency']}, medians of {meta['rounds']} rounds; " \
            f"JDK {meta['java'].split(' ')[0]}"
    script = f"""
set terminal pngcairo size 1500,560 font "sans,10"
set output "{png}"
set multiplot layout 1,3 title "{title}" font "sans,11"
set style fill solid 0.85 border -1
set boxwidth 0.75
set grid ytics
set xtics rotate by -40 left nomirror
set bmargin 9
unset key
set yrange [0:*]
set title "requests/s (higher is better)"
plot "{dat}" using 0:2:5:xtic(1) with boxes lc rgb variable
set title "p99 latency, ms (lower is better)"
plot "{dat}" using 0:3:5:xtic(1) with boxes lc rgb variable
set title "CPU per request of the proxy, µs (lower is better)"
plot "{dat}" using 0:4:5:xtic(1) with boxes lc rgb variable
unset multiplot
"""
    try:
        subprocess.run([gnuplot], input=script, text=True, check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as e:
        print(f"report.py: gnuplot failed, no chart: {e}", file=sys.stderr)
        return None
    finally:
        os.remove(dat)
    return png


if __name__ == "__main__":
    main()
