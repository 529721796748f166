package io.zkgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The gateway's logging set up in code: the line format, the levels, and a configuration file winning over it. */
class LogConfiguratorTest {
    @Test
    void linesAreTimestampedWithTheirLevelThreadAndLoggersSimpleName() {
        LoggerContext context = new LoggerContext();
        LogConfigurator.apply(context);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.INFO, root.getLevel());
        OutputStreamAppender<ILoggingEvent> console = (OutputStreamAppender<ILoggingEvent>) root.getAppender("STDOUT");
        assertTrue(console.isStarted());
        Logger logger = context.getLogger("io.zkgate.gateway.Gateway");
        LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, "zkgate {}", null,
                new Object[] {"stopped"});
        event.setThreadName("main");
        String line = new String(console.getEncoder().encode(event), StandardCharsets.UTF_8);
        assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  \\[main\\] "
                + "Gateway - zkgate stopped\\R"), line);
        context.stop();
    }

    @Test
    void librariesLogWarningsAndTheConnectionNoiseIsOff() {
        LoggerContext context = new LoggerContext();
        LogConfigurator.apply(context);
        assertTrue(context.getLogger("io.zkgate.gateway.control.ControlPlane").isInfoEnabled());
        assertFalse(context.getLogger("org.eclipse.jetty.server.Server").isInfoEnabled());
        assertTrue(context.getLogger("org.eclipse.jetty.server.Server").isWarnEnabled());
        assertFalse(context.getLogger("org.apache.curator.framework.imps.CuratorFrameworkImpl").isInfoEnabled());
        assertFalse(context.getLogger("org.apache.zookeeper.ClientCnxn").isWarnEnabled());
        assertTrue(context.getLogger("org.apache.zookeeper.ClientCnxn").isErrorEnabled());
        assertFalse(context.getLogger("org.apache.curator.ConnectionState").isErrorEnabled());
        context.stop();
    }

    @Test
    void aConfigurationFileWins() {
        LoggerContext context = new LoggerContext();
        LogConfigurator configurator = new LogConfigurator();
        configurator.setContext(context);
        // the tests' logback-test.xml is on the class path: logback reads it, as it would without this class
        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configurator.configure(context));
        assertTrue(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT") == null, "nothing set up");
    }
}
