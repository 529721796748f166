package io.zkgate.gateway.tls;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the gateway picks up TLS files renewed on disk, the listener's certificates and routes' {@code upstream.tls}
 * files alike: by interval ({@code --tls-reload-interval-ms}), not by file watch. Each interval every {@link Watched}
 * set of files is read and hashed, so an in-place rewrite and Kubernetes' symlink swap of a mounted secret both count
 * (file watches miss the latter); when the hash changed, the set's reload runs. A reload that fails (a file missing,
 * half written, a key that does not match its certificate) leaves what is serving in place, with one log line per
 * content naming the file, and is tried again when the files change again.
 * Thread-safe: one daemon thread runs every task; tasks are added and removed from any thread.
 */
public final class FileReloads implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(FileReloads.class);

    private final ScheduledExecutorService thread;
    private final long intervalMs;
    private final Set<Runnable> tasks = ConcurrentHashMap.newKeySet();

    /** @param intervalMs how often the tasks run; 0: never */
    public FileReloads(long intervalMs) {
        this.intervalMs = intervalMs;
        if (intervalMs <= 0) {
            thread = null;
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zkgate-tls-reload");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::runAll, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} every interval until the returned handle is closed. */
    public Scheduled every(Runnable task) {
        tasks.add(task);
        return () -> tasks.remove(task);
    }

    public long intervalMs() {
        return intervalMs;
    }

    private void runAll() {
        for (Runnable task : tasks) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("TLS file reload failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        tasks.clear();
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    /** A task's place in the schedule; closing it takes the task off. */
    public interface Scheduled extends Closeable {
        @Override
        void close();
    }

    /** Reads the files again and puts them in service; the message of what it throws names the file and the reason. */
    @FunctionalInterface
    public interface Reload {
        /** @return what is served now, for the log line */
        String reload() throws Exception;
    }

    /**
     * One set of files and what to do when their contents change. Thread-safe: {@link #check} is synchronized.
     */
    public static final class Watched {
        private final String what;
        private final List<Path> files;
        private final Reload reload;
        /** Digest of the contents in service. */
        private String served;
        /** Digest of the contents whose reload failed and was logged, so it is logged once. */
        private String refused;

        /**
         * @param what   the files' role, first words of the log lines ({@code TLS certificates})
         * @param files  what to hash; their contents as they are now are taken as the ones in service
         * @param reload puts changed files in service
         */
        public Watched(String what, List<Path> files, Reload reload) {
            this.what = what;
            this.files = List.copyOf(files);
            this.reload = reload;
            this.served = digest(this.files);
        }

        /** Reloads when the files' contents changed since the ones in service; true when it did. */
        public synchronized boolean check() {
            String now = digest(files);
            if (now.equals(served) || now.equals(refused)) {
                return false;
            }
            try {
                String description = reload.reload();
                served = now;
                refused = null;
                log.info("{} reloaded from disk: {}", what, description);
                return true;
            } catch (Exception e) {
                refused = now;
                log.warn("{} changed on disk but not reloaded: {}; still serving the previous ones", what,
                        e.getMessage());
                return false;
            }
        }
    }

    /** SHA-256 of the files' contents in order; a file that cannot be read counts as its error. */
    static String digest(List<Path> files) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder unreadable = new StringBuilder();
        for (Path file : files) {
            try {
                digest.update(Files.readAllBytes(file));
            } catch (IOException e) {
                unreadable.append(" unreadable ").append(file).append(": ").append(e);
            }
        }
        return HexFormat.of().formatHex(digest.digest()) + unreadable;
    }
}
