#!/usr/bin/env python3
"""Summarises an async-profiler CPU profile in collapsed form (recorded with the `threads` option) as Markdown:
CPU by thread group, by layer (kernel by system call, JVM, GC, JIT compiler, Jetty, zkgate), and the hottest frames.

Usage: profile_summary.py PROFILE.collapsed [TOP]
"""
import collections
import re
import sys


def thread_group(name):
    name = re.sub(r"\s*tid=\d+", "", name.strip("[]"))
    name = re.sub(r"@[0-9a-f]+", "@", name)
    return re.sub(r"\d+", "N", name)


def syscall_of(frames):
    """The system call a kernel sample belongs to: the frame the syscall entry dispatched to, without prefixes."""
    if "do_syscall_64_[k]" not in frames:
        return None
    i = frames.index("do_syscall_64_[k]")
    if i + 1 >= len(frames):
        return "(syscall entry)"
    name = re.sub(r"_\[k\]$", "", frames[i + 1])
    if name.startswith("exit_to_user_mode"):
        return "(rescheduled on return from a system call)"
    return re.sub(r"^(__x64_sys_|__se_sys_|__do_sys_|ksys_|do_)", "", name)


def layer_of(frames):
    """The layer a sample is charged to: the innermost project or library frame that owns the work."""
    java = [f.replace("/", ".") for f in frames if "." in f and "::" not in f and not f.endswith("_[k]")]
    for f in reversed(java):
        for prefix, layer in (("io.zkgate", "zkgate"), ("org.eclipse.jetty.ee10", "Jetty servlet + proxy servlet"),
                              ("org.eclipse.jetty.client", "Jetty HttpClient"),
                              ("org.eclipse.jetty.server", "Jetty server"),
                              ("org.eclipse.jetty.http", "Jetty HTTP parser/generator"),
                              ("org.eclipse.jetty.io", "Jetty I/O (selectors, endpoints)"),
                              ("org.eclipse.jetty.util", "Jetty util (thread pool, callbacks)"),
                              ("com.codahale", "metrics"), ("io.prometheus", "metrics"),
                              ("org.luaj", "Lua")):
            if f.startswith(prefix):
                return layer
    return "JDK / other Java" if java else "no Java frame"


TASKS = (  # (frame on the stack, what the pool thread was doing), most specific first
    ("HttpChannelState$HandlerInvoker", "servlet: the proxy servlet's service (route, pick, send upstream)"),
    ("HttpConnectionOverHTTP$FillableCallback", "upstream connection: read and parse the backend's response, "
     "copy it to the client"),
    ("server/internal/HttpConnection.onFillable", "client connection: read and parse the request"),
    ("server/internal/HttpConnection$FillableCallback", "client connection: read and parse the request"),
    ("ContextHandler$ScopedContext", "servlet async I/O: HttpOutput's write callback re-enters the servlet "
     "(WriteListener.onWritePossible writes the body, completes), dispatched as a task of its own"),
    ("AdaptiveExecutionStrategy.tryProduce", "selector: epoll_wait, then choosing or handing off the next task"),
    ("ReservedThread.waitForTask", "reserved thread waiting to take over the selector (spin, park)"),
    ("QueuedThreadPool$Runner.idleJobPoll", "idle pool thread waiting for a job"),
    ("ManagedSelector", "selector: other"),
)


def task_of(frames):
    joined = ";".join(frames).replace(".", "/")
    for needle, label in TASKS:
        if needle.replace(".", "/") in joined:
            return label
    if any("QueuedThreadPool" in f for f in frames):
        return "other pool tasks"
    return "JVM threads (JIT compilers, GC, VM) and others"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    threads = collections.Counter()
    leaves = collections.Counter()
    syscalls = collections.Counter()
    layers = collections.Counter()
    kernel = 0
    total = 0
    zk_inclusive = collections.Counter()
    parking = unparking = 0
    tasks = collections.Counter()
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            frames = stack.split(";")
            thread = frames[0] if frames[0].startswith("[") else "[?]"
            frames = frames[1:] if frames[0].startswith("[") else frames
            total += n
            group = thread_group(thread)
            threads[group] += n
            leaf = frames[-1] if frames else "?"
            leaves[leaf] += n
            if leaf.endswith("_[k]"):
                kernel += n
                syscalls[syscall_of(frames) or "(no system call: interrupts, preemption)"] += n
            if group.startswith(("GC Thread", "VM Thread", "G1", "VM Periodic")):
                layers["GC and VM threads"] += n
            elif "CompilerThre" in group:
                layers["JIT compiler threads"] += n
            else:
                layers[layer_of(frames)] += n
            for fr in {f.replace("/", ".") for f in frames}:
                if fr.startswith("io.zkgate"):
                    zk_inclusive[fr] += n
            tasks[task_of(frames)] += n
            if any("LockSupport.park" in f for f in frames):
                parking += n
            if any("LockSupport.unpark" in f or "Unsafe.unpark" in f for f in frames):
                unparking += n

    def pct(n):
        return f"{100.0 * n / total:5.1f} %"

    out = [f"CPU samples: {total} (1 ms each); in the kernel (leaf frame): {pct(kernel)}; "
           f"parking a thread (LockSupport.park and below): {pct(parking)}; "
           f"waking one (LockSupport.unpark and below): {pct(unparking)}", ""]
    out.append("| thread group | share |")
    out.append("|---|---:|")
    for name, n in threads.most_common(12):
        out.append(f"| {name} | {pct(n)} |")
    out.append("")
    out.append("| what the thread was doing (task a pool thread ran, from the stack) | share |")
    out.append("|---|---:|")
    for name, n in tasks.most_common():
        out.append(f"| {name} | {pct(n)} |")
    out.append("")
    out.append("| charged to (the library of the innermost Java frame) | share |")
    out.append("|---|---:|")
    for name, n in layers.most_common():
        out.append(f"| {name} | {pct(n)} |")
    out.append("")
    out.append("| kernel time by system call | share of all CPU |")
    out.append("|---|---:|")
    for name, n in syscalls.most_common(12):
        out.append(f"| {name} | {pct(n)} |")
    out.append("")
    out.append(f"| hottest frames (self time), top {top} | share |")
    out.append("|---|---:|")
    for name, n in leaves.most_common(top):
        out.append(f"| `{name}` | {pct(n)} |")
    out.append("")
    out.append("| zkgate methods, inclusive | share |")
    out.append("|---|---:|")
    for name, n in zk_inclusive.most_common(15):
        out.append(f"| `{name}` | {pct(n)} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
