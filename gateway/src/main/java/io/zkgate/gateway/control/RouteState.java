package io.zkgate.gateway.control;

import io.zkgate.schema.Route;
import org.apache.curator.framework.recipes.cache.ChildData;

/**
 * What the gateway knows of one route znode: the version it serves and, if the latest edit was refused, why.
 * Immutable.
 *
 * @param id              route id (znode name)
 * @param applied         the last good version being served, or null if none was ever valid
 * @param appliedVersion  znode version of {@code applied}, -1 if none
 * @param appliedZxid     the zxid that last modified the znode to {@code applied}, 0 if none
 * @param latest          the latest znode data seen, kept to re-check a refused route when a conflicting one goes
 * @param rejection       why the latest version was refused, or null when it is the one applied
 */
public record RouteState(
        String id, Route applied, int appliedVersion, long appliedZxid, ChildData latest, String rejection) {
    public long czxid() {
        return latest.getStat() == null ? Long.MAX_VALUE : latest.getStat().getCzxid();
    }
}
