package io.zkgate.agent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The lines the agent logs while it is open, all under the one logger named for {@link RegistryAgent}. */
final class AgentLog implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger(RegistryAgent.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    AgentLog() {
        appender.start();
        logger.addAppender(appender);
    }

    /** The messages so far, formatted, in order. */
    List<String> lines() {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
