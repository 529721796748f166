package io.zkgate.gateway.balancer;

import static io.zkgate.gateway.balancer.Endpoints.named;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void theAliasTableGivesEachEndpointExactlyItsWeightShare() {
        int[][] cases = {{1, 2, 3, 10}, {10_000, 1}, {1, 1, 1, 2}, {7, 3, 9999, 5000, 1, 1, 2}, {3, 5}};
        for (int[] weights : cases) {
            Endpoint[] e = named(weights);
            RandomChoice random = new RandomChoice(e);
            long total = 0;
            for (int w : weights) {
                total += w;
            }
            for (Endpoint x : e) {
                assertEquals(x.weight() / (double) total, random.probability(x), 1e-9, x + " of " + total);
            }
        }
    }

    @Test
    void equalWeightsAreUniform() {
        Endpoint[] e = named(4, 4, 4, 4, 4);
        RoundRobinTest.assertShares(new RandomChoice(e), e, 100_000, 0.01);
    }

    @Test
    void anEmptySetPicksNothing() {
        assertNull(new RandomChoice(new Endpoint[0]).pick(null));
    }

    @Test
    void aSingleEndpointIsAlwaysPicked() {
        Endpoint[] one = named(3);
        assertSame(one[0], new RandomChoice(one).pick(null));
    }
}
