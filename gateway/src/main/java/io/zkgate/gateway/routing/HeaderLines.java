package io.zkgate.gateway.routing;

/** Where a front door that writes HTTP/1.1 heads itself takes header lines, one {@code name: value} at a time. */
@FunctionalInterface
public interface HeaderLines {
    void line(String name, String value);
}
