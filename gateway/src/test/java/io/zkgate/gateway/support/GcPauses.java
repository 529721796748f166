package io.zkgate.gateway.support;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stop-the-world pauses of another JVM, read from the GC log it wrote with {@link #logOption}, and the ones that
 * overlap given spans of wall-clock time; for scale tests that time work spread over several processes. Stateless.
 */
public final class GcPauses {
    /** {@code [2026-12-03T13:49:35.191+0000] GC(8) Pause Young (Allocation Failure) 171M->112M(247M) 43.912ms}. */
    private static final Pattern PAUSE = Pattern.compile("^\\[([^\\]]+)\\].* Pause .* ([0-9.]+)ms$");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

    /** A pause that ended at {@code end} (the log line's time) after {@code ms}. */
    public record Pause(Instant end, double ms) {
        Instant start() {
            return end.minusNanos((long) (ms * 1e6));
        }

        boolean overlaps(Instant from, Instant to) {
            return start().isBefore(to) && end.isAfter(from);
        }
    }

    private GcPauses() {
    }

    /** The JVM flag that makes a JVM log each collection to {@code file} with wall-clock times. */
    public static String logOption(Path file) {
        return "-Xlog:gc:file=" + file + ":time";
    }

    /** The pauses {@code log} records; none when it does not exist. */
    public static List<Pause> read(Path log) throws IOException {
        List<Pause> pauses = new ArrayList<>();
        if (!Files.exists(log)) {
            return pauses;
        }
        for (String line : Files.readAllLines(log)) {
            Matcher m = PAUSE.matcher(line);
            if (m.matches()) {
                pauses.add(new Pause(OffsetDateTime.parse(m.group(1), TIME).toInstant(),
                        Double.parseDouble(m.group(2))));
            }
        }
        return pauses;
    }

    /** How many of {@code pauses} overlap any of {@code spans} (each {from, to}), and the longest: "2 (longest 8.1 ms)". */
    public static String during(List<Pause> pauses, Instant[]... spans) {
        int count = 0;
        double longest = 0;
        for (Pause p : pauses) {
            for (Instant[] span : spans) {
                if (p.overlaps(span[0], span[1])) {
                    count++;
                    longest = Math.max(longest, p.ms());
                    break;
                }
            }
        }
        return count == 0 ? "none" : String.format(Locale.ROOT, "%d (longest %.1f ms)", count, longest);
    }

    /** The time this JVM's collectors have spent so far, in ms. */
    public static long ownCollectionMs() {
        long ms = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, gc.getCollectionTime());
        }
        return ms;
    }
}
