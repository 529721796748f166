package io.zkgate.gateway.balancer;

import static io.zkgate.gateway.balancer.Endpoints.named;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class RandomChoiceTest {

    @Test
    void weightedSharesAreWithinOnePercentOfWeightsOver100000Picks() {
        // Binomial standard deviation at 100,000 picks is at most 0.16 %, so 1 % is over six deviations.
        Endpoint[] e = named(1, 2, 3, 10);
        RoundRobinTest.assertShares(new RandomChoice(e), e, 100_000, 0.01);
    }

    @Test
    void equalWeightsAreUniform() {
        Endpoint[] e = named(4, 4, 4, 4, 4);
        RoundRobinTest.assertShares(new RandomChoice(e), e, 100_000, 0.01);
    }

    @Test
    void zeroAndOneEndpoints() {
        assertNull(new RandomChoice(new Endpoint[0]).pick(null));
        Endpoint[] one = named(3);
        assertSame(one[0], new RandomChoice(one).pick(null));
    }
}
