package io.zkgate.gateway.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where the machine's CPU time went between two samples, from the kernel's per-thread scheduler counters
 * ({@code /proc/PID/task/TID/schedstat}: time on a core and time waiting in a run queue, in ns) and major page faults:
 * for scale tests that time work spread over several processes on a shared machine, so that a slow span can be told
 * apart into waiting for a core, paging, another process's work, a compiler thread, or none of them (the virtual
 * machine's own core not running). The threads are the ones alive when it is made (a later thread is not counted);
 * their counter files stay open and are re-read in place, so a sample (a few hundred threads) costs about 3 ms once
 * compiled, against 10-20 ms for a fresh walk of {@code /proc}. Linux only; elsewhere it counts nothing. Not thread-safe: one sampling thread.
 */
public final class CpuAccount implements AutoCloseable {
    private final List<Task> tasks = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(1024);

    /** A thread and its two counter files. */
    record Task(long pid, String process, String thread, FileChannel schedstat, FileChannel stat) {
    }

    /** One thread's counters: time on a core and waiting for one (ns), major faults. */
    record Counters(long runNs, long waitNs, long majorFaults) {
    }

    /** What every thread of the machine used between two samples. */
    public record Span(long wallNs, Map<Task, Counters> used) {
        /**
         * This span read for the {@code named} processes ({label: pid}): each one's time on a core (and its busiest
         * threads), waiting for one, major faults; then the CPU every other process used, and the busiest of them.
         */
        public String describe(Map<String, Long> named) {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "over %.1f ms: ", wallNs / 1e6));
            named.forEach((label, pid) -> {
                List<Counters> own = used.entrySet().stream().filter(e -> e.getKey().pid() == pid)
                        .map(Map.Entry::getValue).toList();
                String busiest = busiest(pid, 3, 500_000);
                out.append(String.format(Locale.ROOT, "%s ran %.1f ms%s, waited for a core %.1f ms, %d major faults; ",
                        label, own.stream().mapToLong(Counters::runNs).sum() / 1e6,
                        busiest.isEmpty() ? "" : " (" + busiest + ")",
                        own.stream().mapToLong(Counters::waitNs).sum() / 1e6,
                        own.stream().mapToLong(Counters::majorFaults).sum()));
            });
            Map<String, Long> others = new HashMap<>();
            used.forEach((task, counters) -> {
                if (!named.containsValue(task.pid())) {
                    others.merge(task.process(), counters.runNs(), Long::sum);
                }
            });
            out.append(String.format(Locale.ROOT, "other processes ran %.1f ms",
                    others.values().stream().mapToLong(Long::longValue).sum() / 1e6));
            others.entrySet().stream().max(Map.Entry.comparingByValue()).filter(e -> e.getValue() >= 500_000)
                    .ifPresent(e -> out.append(String.format(Locale.ROOT, " (the most: %s, %.1f ms)", e.getKey(),
                            e.getValue() / 1e6)));
            return out.toString();
        }

        /** The {@code n} threads of process {@code pid} that ran longest, at least {@code minNs} each, in ms. */
        public String busiest(long pid, int n, long minNs) {
            return used.entrySet().stream().filter(e -> e.getKey().pid() == pid && e.getValue().runNs() >= minNs)
                    .sorted(Comparator.comparingLong(e -> -e.getValue().runNs())).limit(n)
                    .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey().thread(), e.getValue().runNs() / 1e6))
                    .collect(Collectors.joining(", "));
        }
    }

    /** A sample of every counter, to take a {@link Span} from later. */
    public record Sample(long atNanos, Map<Task, Counters> counters) {
    }

    /** Opens the counters of every thread alive now. */
    public CpuAccount() {
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                open(process);
            }
        } catch (IOException e) {
            // not Linux: nothing to count
        }
    }

    private void open(Path process) {
        long pid = Long.parseLong(process.getFileName().toString());
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(process.resolve("task"))) {
            String name = Files.readString(process.resolve("comm")).trim();
            for (Path thread : threads) {
                openThread(pid, name, thread);
            }
        } catch (IOException | RuntimeException e) {
            // the process ended meanwhile
        }
    }

    private void openThread(long pid, String process, Path thread) {
        try {
            FileChannel stat = FileChannel.open(thread.resolve("stat"));
            try {
                String text = read(stat);
                tasks.add(new Task(pid, process, text.substring(text.indexOf('(') + 1, text.lastIndexOf(')')),
                        FileChannel.open(thread.resolve("schedstat")), stat));
            } catch (IOException | RuntimeException e) {
                stat.close();
            }
        } catch (IOException e) {
            // the thread ended meanwhile
        }
    }

    private String read(FileChannel file) throws IOException {
        buffer.clear();
        int n = file.read(buffer, 0);
        return new String(buffer.array(), 0, Math.max(n, 0), StandardCharsets.US_ASCII);
    }

    /** Every counter now; a thread that ended since counts nothing more. */
    public Sample sample() {
        Map<Task, Counters> now = new HashMap<>(tasks.size() * 2);
        for (Task task : tasks) {
            try {
                String[] sched = read(task.schedstat()).trim().split(" ");
                String stat = read(task.stat());
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                now.put(task, new Counters(Long.parseLong(sched[0]), Long.parseLong(sched[1]),
                        Long.parseLong(fields[9]))); // majflt, the 12th field of stat
            } catch (IOException | RuntimeException e) {
                // ended
            }
        }
        return new Sample(System.nanoTime(), now);
    }

    /** What each thread used from {@code from} to {@code to}, over the wall time from one to the other. */
    public static Span between(Sample from, Sample to) {
        Map<Task, Counters> used = new HashMap<>();
        to.counters().forEach((task, now) -> {
            Counters then = from.counters().get(task);
            if (then != null) {
                used.put(task, new Counters(now.runNs() - then.runNs(), now.waitNs() - then.waitNs(),
                        now.majorFaults() - then.majorFaults()));
            }
        });
        return new Span(to.atNanos() - from.atNanos(), used);
    }

    @Override
    public void close() {
        for (Task task : tasks) {
            try {
                task.schedstat().close();
                task.stat().close();
            } catch (IOException e) {
                // closing a counter file: nothing to do
            }
        }
    }
}
