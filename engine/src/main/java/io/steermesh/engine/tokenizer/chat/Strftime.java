package io.steermesh.engine.tokenizer.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** Python's {@code strftime} directives (C locale) over a {@link ZonedDateTime}, as templates print "today's date". */
final class Strftime {

    private Strftime() {}

    static String format(ZonedDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                b.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = d == '-' && i + 1 < format.length();  // glibc's %-d: no zero padding
            if (noPad) d = format.charAt(++i);
            switch (d) {
                case 'Y' -> b.append(t.getYear());
                case 'y' -> pad(b, t.getYear() % 100, 2, noPad);
                case 'm' -> pad(b, t.getMonthValue(), 2, noPad);
                case 'd' -> pad(b, t.getDayOfMonth(), 2, noPad);
                case 'e' -> b.append(String.format("%2d", t.getDayOfMonth()));
                case 'j' -> pad(b, t.getDayOfYear(), 3, noPad);
                case 'H' -> pad(b, t.getHour(), 2, noPad);
                case 'I' -> pad(b, (t.getHour() + 11) % 12 + 1, 2, noPad);
                case 'M' -> pad(b, t.getMinute(), 2, noPad);
                case 'S' -> pad(b, t.getSecond(), 2, noPad);
                case 'f' -> b.append(String.format("%06d", t.getNano() / 1000));
                case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
                case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b', 'h' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'w' -> b.append(t.getDayOfWeek().getValue() % 7);
                case 'u' -> b.append(t.getDayOfWeek().getValue());
                case 'F' -> b.append(format(t, "%Y-%m-%d"));
                case 'T' -> b.append(format(t, "%H:%M:%S"));
                case 'D' -> b.append(format(t, "%m/%d/%y"));
                case 'Z' -> b.append(t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case '%' -> b.append('%');
                default -> b.append('%').append(noPad ? "-" : "").append(d);
            }
        }
        return b.toString();
    }

    private static void pad(StringBuilder b, int value, int width, boolean noPad) {
        String s = Integer.toString(value);
        if (!noPad) b.append("0".repeat(Math.max(0, width - s.length())));
        b.append(s);
    }
}
