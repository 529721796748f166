package io.zkgate.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * How a setting's text becomes a value. A parser returns null for text it does not accept; {@link #expected()}
 * then tells the user the form. Immutable.
 *
 * @param expected the accepted form, for messages and usage, e.g. {@code integer 0-65535}
 * @param parser   text to value, or null when the text is not of the expected form
 */
public record OptionType(String expected, Function<String, Object> parser) {
    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9._\\[\\]:-]+:\\d{1,5}");
    private static final Pattern ZNODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** The form of {@link #keyValues()}; options of this type may be given more than once. */
    private static final String CIDRS = "comma-separated CIDRs";
    private static final String KEY_VALUES = "key=value[,key=value...] (the flag may repeat)";
    /** The form of {@link #paths()}; options of this type may be given more than once. */
    private static final String PATHS = "file[,file...] (the flag may repeat)";

    public static OptionType integer(int min, int max) {
        return new OptionType("integer " + min + "-" + max, text -> {
            try {
                int v = Integer.parseInt(text.trim());
                return v < min || v > max ? null : v;
            } catch (NumberFormatException e) {
                return null;
            }
        });
    }

    /** A decimal number from {@code min} to {@code max}, such as a ratio ({@code 0.25}). */
    public static OptionType decimal(double min, double max) {
        return new OptionType("number " + min + "-" + max, text -> {
            try {
                double v = Double.parseDouble(text.trim());
                return Double.isNaN(v) || v < min || v > max ? null : v;
            } catch (NumberFormatException e) {
                return null;
            }
        });
    }

    /** One of {@code values}, as written (case-insensitive). */
    public static OptionType oneOf(String... values) {
        return new OptionType("one of " + String.join(", ", values), text -> {
            String t = text.trim().toLowerCase(Locale.ROOT);
            for (String v : values) {
                if (v.equals(t)) {
                    return v;
                }
            }
            return null;
        });
    }

    public static OptionType string() {
        return new OptionType("text", text -> text);
    }

    public static OptionType flag() {
        return new OptionType("true or false", text -> switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> Boolean.TRUE;
            case "false", "no", "off", "0" -> Boolean.FALSE;
            default -> null;
        });
    }

    public static OptionType port() {
        return integer(0, 65535);
    }

    /** A host name or IP literal; names are not resolved here, only checked for form. */
    public static OptionType host() {
        return new OptionType("host name or IP address", text -> {
            String t = text.trim();
            if (t.isEmpty() || t.contains("/") || t.contains(" ")) {
                return null;
            }
            if (Character.isDigit(t.charAt(0)) || t.contains(":")) {
                try {
                    return InetAddress.getByName(t).getHostAddress().isEmpty() ? null : t;
                } catch (UnknownHostException e) {
                    return null;
                }
            }
            return t;
        });
    }

    /**
     * A ZooKeeper connect string {@code host:port[,host:port...][/chroot]}; empty means none.
     *
     * @param embeddedWhenEmpty whether the program starts an embedded ZooKeeper when none is given (the gateway)
     */
    public static OptionType connectString(boolean embeddedWhenEmpty) {
        return new OptionType("host:port[,host:port...][/chroot]"
                + (embeddedWhenEmpty ? ", or empty for the embedded ZooKeeper" : ""), text -> {
            String t = text.trim();
            if (t.isEmpty()) {
                return "";
            }
            int slash = t.indexOf('/');
            String hosts = slash < 0 ? t : t.substring(0, slash);
            for (String hp : hosts.split(",")) {
                if (!HOST_PORT.matcher(hp.trim()).matches()) {
                    return null;
                }
            }
            return t;
        });
    }

    public static OptionType path() {
        return new OptionType("file system path", text -> {
            try {
                return text.isBlank() ? null : Path.of(text.trim());
            } catch (InvalidPathException e) {
                return null;
            }
        });
    }

    /** An absolute znode path without trailing slash. */
    public static OptionType znodePath() {
        return new OptionType("absolute znode path: /name[/name...]", text -> {
            String t = text.trim();
            return t.matches("(/[A-Za-z0-9._:-]+)+") ? t : null;
        });
    }

    /**
     * String pairs {@code k=v[,k=v...]} as an unmodifiable map in the given order; empty text is an empty map. Keys
     * are 1-128 of letters, digits, '.', '_', '-'; values may not contain ','. A flag of this type may repeat, each
     * occurrence adding its pairs.
     */
    public static OptionType keyValues() {
        return new OptionType(KEY_VALUES, text -> {
            Map<String, String> out = new LinkedHashMap<>();
            for (String pair : text.split(",", -1)) {
                String p = pair.trim();
                if (p.isEmpty()) {
                    continue;
                }
                int eq = p.indexOf('=');
                if (eq <= 0 || !KEY.matcher(p.substring(0, eq).trim()).matches()) {
                    return null;
                }
                out.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
            }
            return Collections.unmodifiableMap(out);
        });
    }

    /** Whether a flag of this type may be given more than once (its values are then joined with ','). */
    public boolean isRepeatable() {
        return KEY_VALUES.equals(expected) || PATHS.equals(expected);
    }

    /**
     * File paths {@code a[,b...]} as an unmodifiable list in the given order; empty text is an empty list. A flag of
     * this type may repeat, each occurrence adding its paths (so a path may not contain ',').
     */
    public static OptionType paths() {
        return new OptionType(PATHS, text -> {
            List<Path> out = new ArrayList<>();
            for (String part : text.split(",", -1)) {
                String t = part.trim();
                if (t.isEmpty()) {
                    continue;
                }
                try {
                    out.add(Path.of(t));
                } catch (InvalidPathException e) {
                    return null;
                }
            }
            return List.copyOf(out);
        });
    }

    /** Whether a YAML list may give this option's value (its items are joined with ','). */
    public boolean isList() {
        return expected.startsWith(CIDRS);
    }

    /** An absolute {@code http://} or {@code https://} URL with a host, as a {@link URI}. */
    public static OptionType httpUrl() {
        return new OptionType("http:// or https:// URL", text -> {
            try {
                URI uri = new URI(text.trim());
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null ? uri : null;
            } catch (URISyntaxException e) {
                return null;
            }
        });
    }

    /**
     * Comma-separated IPv4/IPv6 CIDRs ({@code 10.0.0.0/8,::1}) as an unmodifiable list of the texts; empty text is
     * an empty list. Addresses must be literals: a host name is refused, never resolved.
     */
    public static OptionType cidrs() {
        return new OptionType(CIDRS + " such as 10.0.0.0/8,2001:db8::/32 (an address alone: just it)",
                text -> {
                    List<String> out = new ArrayList<>();
                    for (String part : text.split(",", -1)) {
                        String p = part.trim();
                        if (p.isEmpty()) {
                            continue;
                        }
                        if (!isCidr(p)) {
                            return null;
                        }
                        out.add(p);
                    }
                    return List.copyOf(out);
                });
    }

    private static boolean isCidr(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        int bits;
        if (IPV4.matcher(address).matches()) {
            for (String octet : address.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return false;
                }
            }
            bits = 32;
        } else if (IPV6_CHARS.matcher(address).matches()) {
            try {
                bits = InetAddress.getByName(address).getAddress().length * 8; // a literal: parsed, not resolved
            } catch (UnknownHostException e) {
                return false;
            }
        } else {
            return false;
        }
        String prefix = slash < 0 ? String.valueOf(bits) : text.substring(slash + 1);
        return prefix.matches("\\d{1,3}") && Integer.parseInt(prefix) <= bits;
    }

    /** One znode path segment usable as a service or instance name. */
    public static OptionType znodeName() {
        return new OptionType("1-128 of letters, digits, '.', '_', ':', '-', starting with a letter or digit",
                text -> ZNODE_NAME.matcher(text.trim()).matches() ? text.trim() : null);
    }
}
