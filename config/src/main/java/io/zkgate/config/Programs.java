package io.zkgate.config;

import java.util.List;

/** The programs that read settings, so each can say which program a key it does not know belongs to. Stateless. */
public final class Programs {
    /** The gateway: {@code ZKGATE_*}. */
    public static final Program GATEWAY = new Program("gateway", Option.ENV_PREFIX, null, GatewaySettings.OPTIONS);
    /** The registry agent: {@code ZKGATE_AGENT_*}; its old {@code ZKGATE_*} names are still read, with a warning. */
    public static final Program AGENT = new Program("registry agent", "ZKGATE_AGENT_", Option.ENV_PREFIX,
            AgentSettings.OPTIONS);

    private Programs() {}

    /** Every program but {@code p}. */
    static List<Program> others(Program p) {
        return List.of(GATEWAY, AGENT).stream().filter(o -> !o.name().equals(p.name())).toList();
    }
}
