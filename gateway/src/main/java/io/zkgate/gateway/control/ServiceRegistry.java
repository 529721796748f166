package io.zkgate.gateway.control;

import io.zkgate.gateway.balancer.Endpoint;
import io.zkgate.gateway.routing.ServicePool;
import io.zkgate.schema.ServiceInstance;
import io.zkgate.schema.ValidationException;
import io.zkgate.schema.ZnodeLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered instances of every service and the pools built from them: reading instance znodes in any of the
 * {@link InstanceFormats}, reusing each backend's {@link Endpoint} (and so its in-flight count and health) across
 * rebuilds, the empty-service grace (curator-x-discovery re-registers with delete-then-create after a session loss,
 * so a service that loses its last instance keeps the previous ones for a while) and panic mode. It records which services changed, so that only
 * those are rebuilt. Not thread-safe: confined to the control thread.
 */
final class ServiceRegistry {
    private static final Logger log = LoggerFactory.getLogger(ServiceRegistry.class);

    /** Asks for {@code service} to be rebuilt after {@code delayMs}: when a grace period ends. */
    interface Wakeup {
        void after(long delayMs, String service);
    }

    private final ZnodeLayout layout;
    private final long graceMs;
    private final OutlierEjector ejector;
    private final Wakeup wakeup;
    private final Map<String, Service> services = new HashMap<>();
    private Set<String> changed = new LinkedHashSet<>();
    private boolean synced;

    /** One service: its instances by id and what was last built from them. */
    private static final class Service {
        final Map<String, ServiceInstance> instances = new HashMap<>();
        /** The endpoints of the last build, by instance id: reused while the backend stays the same. */
        Map<String, Endpoint> endpoints = Map.of();
        /** The pool last built, served until the next build. */
        ServicePool built;
        /** The pool kept through the grace period after the last instance left, and until when. */
        ServicePool held;
        long heldUntilNanos;
        boolean panic;
    }

    ServiceRegistry(ZnodeLayout layout, long emptyServiceGraceMs, OutlierEjector ejector, Wakeup wakeup) {
        this.layout = layout;
        this.graceMs = emptyServiceGraceMs;
        this.ejector = ejector;
        this.wakeup = wakeup;
    }

    /** An instance znode was created or changed; an unreadable one is skipped with one log line. */
    void put(String path, byte[] data) {
        ZnodeLayout.InstanceRef ref = layout.instanceRef(path);
        if (ref == null) {
            return;
        }
        Service s = services.computeIfAbsent(ref.service(), n -> new Service());
        ServiceInstance inst;
        try {
            inst = InstanceFormats.decode(path, ref.service(), ref.instanceId(), data == null ? new byte[0] : data);
        } catch (ValidationException e) {
            log.warn("instance znode refused: {}; {}", e.getMessage(),
                    s.instances.containsKey(ref.instanceId()) ? "keeping its previous data" : "instance not routed");
            return;
        }
        ServiceInstance prev = s.instances.put(ref.instanceId(), inst);
        if (!inst.equals(prev)) {
            log.info("instance {}/{} at {} weight {}{}{}", ref.service(), ref.instanceId(), inst.authority(),
                    inst.weight(), inst.enabled() ? "" : " disabled", prev == null ? " added" : " changed");
            changed.add(ref.service());
        }
    }

    /** An instance znode was deleted; a service losing its last routable instance this way is held (grace). */
    void remove(String path, long nowNanos) {
        ZnodeLayout.InstanceRef ref = layout.instanceRef(path);
        Service s = ref == null ? null : services.get(ref.service());
        ServiceInstance gone = s == null ? null : s.instances.remove(ref.instanceId());
        if (gone == null) {
            return;
        }
        log.info("instance {}/{} at {} removed", ref.service(), ref.instanceId(), gone.authority());
        changed.add(ref.service());
        if (graceMs <= 0 || s.held != null || s.instances.values().stream().anyMatch(ServiceInstance::routable)
                || s.built == null || s.built.routable().length == 0) {
            return;
        }
        s.held = s.built;
        s.heldUntilNanos = nowNanos + TimeUnit.MILLISECONDS.toNanos(graceMs);
        log.info("service {} lost its last instance; keeping the previous {} for {} ms", ref.service(),
                s.built.routable().length, graceMs);
        wakeup.after(graceMs + 1, ref.service());
    }

    /**
     * Removes every instance whose znode is not {@code present}: after a batched initial read, the watch's own read
     * names what still exists, and an instance deleted in between leaves no delete event to apply.
     */
    void retainOnly(Predicate<String> present, long nowNanos) {
        List<String> gone = new ArrayList<>();
        services.forEach((name, s) -> s.instances.keySet().forEach(id -> {
            String path = layout.instancePath(name, id);
            if (!present.test(path)) {
                gone.add(path);
            }
        }));
        gone.forEach(path -> remove(path, nowNanos));
    }

    /** The initial read is complete. */
    void sync() {
        synced = true;
        log.info("services synced from {}: {} services, {} instances", layout.servicesPath(), services.size(),
                services.values().stream().mapToInt(s -> s.instances.size()).sum());
    }

    boolean synced() {
        return synced;
    }

    /** Marks a service for rebuilding: its backends' health changed. */
    void markChanged(String service) {
        changed.add(service);
    }

    /** Every service known, with or without instances. */
    Set<String> names() {
        return services.keySet();
    }

    /** The services changed since the last call; the caller owns the returned set. */
    Set<String> drainChanged() {
        Set<String> out = changed;
        changed = new LinkedHashSet<>();
        return out;
    }

    /**
     * Builds the pool of {@code service} as of {@code nowNanos}, to be served until the next build.
     *
     * @return the pool, or null when the service has no instances and holds none
     */
    ServicePool build(String service, long nowNanos) {
        Service s = services.get(service);
        if (s == null) {
            return null;
        }
        ServicePool live = s.instances.isEmpty() ? null : pool(service, s, nowNanos);
        if (s.held != null) {
            if (live != null && live.routable().length > 0) {
                s.held = null;
            } else if (s.heldUntilNanos - nowNanos <= 0) {
                s.held = null;
                log.info("service {} has no instances (grace over)", service);
            } else {
                return s.built = s.held;
            }
        }
        if (live == null) {
            services.remove(service);
            return null;
        }
        return s.built = live;
    }

    private ServicePool pool(String service, Service s, long nowNanos) {
        Map<String, Endpoint> endpoints = new HashMap<>();
        List<Endpoint> all = new ArrayList<>();
        List<Endpoint> eligible = new ArrayList<>();
        List<Endpoint> healthy = new ArrayList<>();
        for (ServiceInstance i : s.instances.values()) {
            Endpoint known = s.endpoints.get(i.id());
            Endpoint e = known != null && known.sameBackend(service, i.id(), i.address(), i.port(), i.sslPort())
                    ? (known.weight() == i.weight() ? known : known.withWeight(i.weight()))
                    : new Endpoint(service, i.id(), i.address(), i.port(), i.weight(), i.sslPort());
            endpoints.put(i.id(), e);
            all.add(e);
            if (!i.routable()) {
                continue;
            }
            eligible.add(e);
            if (ejector.admits(e, nowNanos) && e.health().activelyHealthy()) {
                healthy.add(e);
            }
        }
        s.endpoints = endpoints;
        all.sort(null);
        eligible.sort(null);
        healthy.sort(null);
        boolean panic = !eligible.isEmpty()
                && healthy.size() * 100 < eligible.size() * ejector.settings().panicPercent();
        if (panic != s.panic) {
            s.panic = panic;
            if (panic) {
                log.warn("service {}: only {} of {} backends healthy, panic mode: spreading over all of them", service,
                        healthy.size(), eligible.size());
            } else {
                log.info("service {}: {} of {} backends healthy, panic mode over", service, healthy.size(),
                        eligible.size());
            }
        }
        List<Endpoint> routable = panic ? eligible : healthy;
        return new ServicePool(service, List.copyOf(all), routable.toArray(new Endpoint[0]), panic);
    }
}
