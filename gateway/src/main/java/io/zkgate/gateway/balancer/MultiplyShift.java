package io.zkgate.gateway.balancer;

/**
 * The random balancers' way from one 64-bit draw to indexes: each 32-bit half scaled to [0, n) by multiply-shift
 * (Lemire) instead of {@code nextInt(bound)}'s division, so one draw gives two independent indexes; the bias is below
 * n / 2^32. Stateless.
 */
final class MultiplyShift {
    private MultiplyShift() {}

    /** An index in [0, n) from the high half of {@code draw}. */
    static int high(long draw, int n) {
        return (int) (((draw >>> 32) * n) >>> 32);
    }

    /** An index in [0, n) from the low half of {@code draw}. */
    static int low(long draw, int n) {
        return (int) (((draw & 0xFFFFFFFFL) * n) >>> 32);
    }
}
