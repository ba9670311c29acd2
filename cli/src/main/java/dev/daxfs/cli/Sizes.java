package dev.daxfs.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as users write them: {@code 4096}, {@code 64M}, {@code 8G}, {@code 1TiB}. */
final class Sizes {

    private static final Pattern SIZE = Pattern.compile("(\\d+)([KMGTP]?)(I?B)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    /** Parses {@code text}; binary units (K = 1024). A usage error if malformed or too large. */
    static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches() || (m.group(3) != null && m.group(2).isEmpty() && m.group(3).length() > 1)) {
            throw CliException.usage("invalid size '" + text
                    + "': use a number of bytes with an optional K, M, G or T suffix (e.g. 8G)");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            case "P" -> 50;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw CliException.usage("invalid size '" + text + "': too large");
        }
    }

    /** {@code 1.0 GiB}-style rendering for messages. */
    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
