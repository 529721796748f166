package io.zkgate.gateway.zk;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive OS file lock on {@code <dir>/zkgate.lock}, held from {@link #acquire} until {@link #close} or the end
 * of the process (the OS drops it even on a crash), so that two processes never run an embedded ZooKeeper on one
 * data directory. The file holds the holder's process id for the message the second process prints. Thread-safe.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE_NAME = "zkgate.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dir) throws EmbeddedZooKeeper.EmbeddedZooKeeperException {
        Path file = dir.resolve(FILE_NAME);
        File shown = dir.toAbsolutePath().toFile();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this same process
            }
            if (lock == null) {
                String holder = holder(file);
                channel.close();
                throw new EmbeddedZooKeeper.EmbeddedZooKeeperException("embedded ZooKeeper: data directory " + shown
                        + " is in use by another gateway" + (holder.isEmpty() ? "" : " (process " + holder + ")")
                        + "; two ZooKeeper servers on one directory corrupt it. Give this gateway its own with "
                        + "--data-dir, or join the running one's ZooKeeper with --zk");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)),
                    0);
            channel.force(false);
            return new DataDirLock(channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new EmbeddedZooKeeper.EmbeddedZooKeeperException("embedded ZooKeeper: cannot lock data directory "
                    + shown + " (" + e + "); choose another with --data-dir");
        }
    }

    private static String holder(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing; the original error is what the user needs
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!channel.isOpen()) {
            return;
        }
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
    }
}
