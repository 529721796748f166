package io.zkgate.schema;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Load-balancing policy of a route ({@code lb.policy}); the wire names are the contract. */
public enum Policy {
    ROUND_ROBIN("round_robin"),
    WEIGHTED_ROUND_ROBIN("weighted_round_robin"),
    CONSISTENT_HASH("consistent_hash"),
    RANDOM("random"),
    LEAST_REQUEST("least_request");

    private final String wireName;

    Policy(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The policy with this wire name, or null if there is none. */
    public static Policy fromWireName(String name) {
        for (Policy p : values()) {
            if (p.wireName.equals(name)) {
                return p;
            }
        }
        return null;
    }

    public static String wireNames() {
        return Arrays.stream(values()).map(Policy::wireName).collect(Collectors.joining(", "));
    }
}
