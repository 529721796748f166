package io.zkgate.gateway.tls;

import io.zkgate.config.GatewaySettings;
import java.security.Provider;
import java.security.Security;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSSE provider behind the TLS listener ({@code --tls-provider}). {@code jdk} is the JDK's own SunJSSE;
 * {@code conscrypt} is BoringSSL through JNI, which spends a fraction of the JDK's CPU per handshake and per record.
 * {@code auto}, the default, is what Netty does with its OpenSSL engine: Conscrypt where its native library loads, the
 * JDK's provider otherwise. Conscrypt's native library is extracted from its jar and loaded on first use; where that
 * cannot happen (another architecture, a C library other than glibc, a temporary directory mounted noexec) the
 * gateway serves with the JDK's provider rather than not starting. Either way one log line names the provider chosen
 * and why. Conscrypt is registered once, at the end of the provider list, so it serves only the contexts that ask for
 * it by name (the upstream TLS clients stay on the JDK). Thread-safe: registration is synchronized and happens once
 * per JVM.
 *
 * @param name      the provider in use, as {@code /admin/status} shows it: {@code jdk} or {@code conscrypt}
 * @param jsseName  the JSSE provider name for {@code SslContextFactory#setProvider}, or null for the JVM's default
 */
public record TlsProvider(String name, String jsseName) {
    private static final Logger log = LoggerFactory.getLogger(TlsProvider.class);
    public static final TlsProvider JDK = new TlsProvider(GatewaySettings.Tls.JDK, null);

    /** Why Conscrypt cannot serve in this JVM, or null when it can; computed once. */
    private static String conscryptUnavailable;
    private static boolean conscryptChecked;

    /**
     * The provider to serve with for the requested one ({@code auto}, {@code jdk} or {@code conscrypt}):
     * {@code conscrypt} when asked for, or by {@code auto}, and its native library loads (registered as a JSSE
     * provider on first use); otherwise the JDK's. Logs one line saying which and why.
     */
    public static TlsProvider choose(String requested) {
        if (GatewaySettings.Tls.JDK.equals(requested)) {
            log.info("TLS provider: jdk (SunJSSE), as --tls-provider asks");
            return JDK;
        }
        boolean auto = !GatewaySettings.Tls.CONSCRYPT.equals(requested);
        String reason = registerConscrypt();
        if (reason != null) {
            String line = "TLS provider: conscrypt cannot load on this machine ({}); "
                    + "serving TLS with the JDK's provider";
            if (auto) {
                log.info(line + " (--tls-provider auto)", reason);
            } else {
                log.warn(line, reason);
            }
            return JDK;
        }
        Conscrypt.setDefaultBufferAllocator(ConscryptBuffers.INSTANCE);
        Conscrypt.Version v = Conscrypt.version();
        log.info("TLS provider: conscrypt {}.{}.{} (BoringSSL), {}", v.major(), v.minor(), v.patch(),
                auto ? "chosen by --tls-provider auto: its native library loads here" : "as --tls-provider asks");
        return new TlsProvider(GatewaySettings.Tls.CONSCRYPT, "Conscrypt");
    }

    /** Whether Conscrypt's native library loads in this JVM (registering it as a provider when it does). */
    public static boolean conscryptLoads() {
        return registerConscrypt() == null;
    }

    private static synchronized String registerConscrypt() {
        if (conscryptChecked) {
            return conscryptUnavailable;
        }
        conscryptChecked = true;
        try {
            Conscrypt.checkAvailability();
            if (Security.getProvider("Conscrypt") == null) {
                Provider provider = Conscrypt.newProvider();
                Security.addProvider(provider);
            }
        } catch (LinkageError | RuntimeException e) { // the native library's UnsatisfiedLinkError, or no Conscrypt jar
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            conscryptUnavailable = firstLine(e) + (root == e ? "" : ": " + firstLine(root));
        }
        return conscryptUnavailable;
    }

    private static String firstLine(Throwable t) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.lines().findFirst().orElse("").trim();
    }
}
