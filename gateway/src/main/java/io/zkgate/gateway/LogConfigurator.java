package io.zkgate.gateway;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway's logging, set up in code (logback finds this class as a service) rather than read from a
 * {@code logback.xml}: reading XML takes logback's configuration engine and the JDK's XML parser, about 600 classes
 * and 3 MB that stay loaded for the process's life. Every line goes to standard output as {@link #PATTERN}; the
 * ZooKeeper client's and Curator's per-attempt connection noise is off ({@code ZkConnectionLog} logs one line per
 * change instead), Jetty's and Curator's lines are warnings and errors only.
 *
 * <p>A configuration file still wins: {@code -Dlogback.configurationFile=FILE} (through {@code ZKGATE_JAVA_OPTS}), or a
 * {@code logback-test.xml} on the class path (the tests'), which logback then reads as it would without this class.
 * Not thread-safe: logback calls it once, at its start.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";

    /** Logger levels below the root's INFO, most general first. */
    static final Map<String, Level> LEVELS = levels();

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(ClassicConstants.CONFIG_FILE_PROPERTY) != null
                || LogConfigurator.class.getClassLoader().getResource(ClassicConstants.TEST_AUTOCONFIG_FILE) != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Sets up {@code context}: one console appender on the root logger at INFO, and {@link #LEVELS}. */
    static void apply(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("STDOUT");
        console.setEncoder(encoder);
        console.start();
        LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
    }

    private static Map<String, Level> levels() {
        Map<String, Level> levels = new LinkedHashMap<>();
        levels.put("org.apache.zookeeper", Level.WARN);
        levels.put("org.apache.zookeeper.ClientCnxn", Level.ERROR);
        levels.put("org.apache.zookeeper.server.ServerCnxnFactory", Level.ERROR);
        levels.put("org.apache.curator", Level.WARN);
        levels.put("org.apache.curator.ConnectionState", Level.OFF);
        levels.put("org.apache.curator.retry.ExponentialBackoffRetry", Level.ERROR);
        levels.put("org.apache.curator.framework.state.ConnectionStateManager", Level.ERROR);
        levels.put("org.eclipse.jetty", Level.WARN);
        return Map.copyOf(levels);
    }
}
