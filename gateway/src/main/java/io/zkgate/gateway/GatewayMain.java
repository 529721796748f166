package io.zkgate.gateway;

import io.zkgate.config.GatewaySettings;
import io.zkgate.config.SettingsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar zkgate-gateway.jar [flags]}: exit 0 after a clean stop, 1 on failure, 2 on bad usage. */
public final class GatewayMain {
    private static final Logger log = LoggerFactory.getLogger(GatewayMain.class);

    private GatewayMain() {}

    /** Curator's switch that stops it logging each failed ZooKeeper operation with a stack trace. */
    private static final String CURATOR_QUIET_CONNECTION_ISSUES = "curator-dont-log-connection-problems";

    /**
     * Jetty pads its queues by this many references per cache line. Left unset, Jetty asks the JVM's management
     * server whether references are compressed, which loads JMX (about 200 classes, 1 MB) into the gateway for one
     * number.
     */
    private static final String JETTY_REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";

    public static void main(String[] args) {
        // While ZooKeeper is unreachable Curator logs every retried operation with a stack trace; ZkConnectionLog
        // reports the connection once per change instead. An operator can still turn them on with -D...=false.
        if (System.getProperty(CURATOR_QUIET_CONNECTION_ISSUES) == null) {
            System.setProperty(CURATOR_QUIET_CONNECTION_ISSUES, "true");
        }
        if (System.getProperty(JETTY_REFERENCES_PER_CACHE_LINE) == null) {
            // Compressed 4-byte references are the JVM's default below a 32 GB heap; 8 bytes above
            int referenceBytes = Runtime.getRuntime().maxMemory() < (32L << 30) ? 4 : 8;
            System.setProperty(JETTY_REFERENCES_PER_CACHE_LINE,
                    Integer.toString(Integer.getInteger("org.eclipse.jetty.util.cacheLineBytes", 64) / referenceBytes));
        }
        GatewaySettings settings;
        try {
            settings = GatewaySettings.load(args, System.getenv());
        } catch (SettingsException e) {
            System.err.println("zkgate: " + e.getMessage());
            if (e.exitCode() == SettingsException.USAGE) {
                System.err.println();
                System.err.print(GatewaySettings.usage());
            }
            System.exit(e.exitCode());
            return;
        }
        if (settings == null) {
            System.out.print(GatewaySettings.usage());
            System.exit(0);
            return;
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(settings);
        } catch (StartupException e) {
            log.error("{}", e.getMessage());
            System.exit(1);
            return;
        } catch (Exception e) {
            log.error("zkgate failed to start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        // A SIGTERM is the normal way to stop a gateway: after a clean stop, exit 0 rather than the JVM's 143.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            Runtime.getRuntime().halt(0);
        }, "zkgate-shutdown"));
        try {
            gateway.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
