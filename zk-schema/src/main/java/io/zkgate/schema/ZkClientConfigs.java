package io.zkgate.schema;

import java.util.List;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ZKConfig;

/**
 * The ZooKeeper client configuration zkgate's clients are built with. ZooKeeper's own {@link ZKClientConfig} copies
 * its TLS system properties through {@code X509Util}, whose static initializer calls {@code SSLContext.getDefault()}:
 * that loads the JDK's TLS stack and parses its whole trust store (measured: 4 MB of metaspace and 22 MB of resident
 * memory in a bare JVM), for every client, TLS or not. The configuration made here copies the same system properties
 * but goes through {@code X509Util} only when the JVM has a ZooKeeper TLS property set ({@code zookeeper.client.secure}
 * or any {@code zookeeper.ssl.*}); without one, those properties are unset either way, so the two configurations read
 * the same. Each call makes a new configuration; Curator keeps one per client and reuses it for every session.
 */
public final class ZkClientConfigs {
    /** The system properties ZooKeeper 3.9's {@code ZKConfig} and {@code ZKClientConfig} copy, TLS ones aside. */
    private static final List<String> PLAIN_PROPERTIES = List.of(ZKConfig.JUTE_MAXBUFFER, ZKConfig.KINIT_COMMAND,
            ZKConfig.JGSS_NATIVE, ZKClientConfig.ZK_SASL_CLIENT_USERNAME,
            ZKClientConfig.ZK_SASL_CLIENT_CANONICALIZE_HOSTNAME, ZKClientConfig.LOGIN_CONTEXT_NAME_KEY,
            ZKClientConfig.ENABLE_CLIENT_SASL_KEY, ZKClientConfig.ZOOKEEPER_SERVER_REALM,
            ZKClientConfig.DISABLE_AUTO_WATCH_RESET, ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET,
            ZKClientConfig.SECURE_CLIENT);

    private ZkClientConfigs() {
    }

    /** A new client configuration from the system properties, as ZooKeeper's, without its TLS cost unless asked. */
    public static ZKClientConfig fromSystemProperties() {
        return tlsAsked() ? new ZKClientConfig() : new PlainClientConfig();
    }

    /** Whether the JVM sets any ZooKeeper TLS property, the case ZooKeeper's own configuration must handle. */
    static boolean tlsAsked() {
        if (System.getProperty(ZKClientConfig.SECURE_CLIENT) != null) {
            return true;
        }
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("zookeeper.ssl")) {
                return true;
            }
        }
        return false;
    }

    /** ZooKeeper's client configuration with its TLS properties left unset, as they are in the JVM. */
    private static final class PlainClientConfig extends ZKClientConfig {
        @Override
        protected void handleBackwardCompatibility() {
            for (String name : PLAIN_PROPERTIES) {
                setProperty(name, System.getProperty(name));
            }
        }
    }
}
