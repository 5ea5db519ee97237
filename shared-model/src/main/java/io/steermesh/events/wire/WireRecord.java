package io.steermesh.events.wire;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Kafka record as steermesh writes it, without Kafka types: key, value and headers (UTF-8 text for
 * every header steermesh defines). The same shape serves the in-memory channels of the standalone mode.
 *
 * @param key     the record key (sequence id, or vector name); null when unknown to the reader
 * @param value   the record value; null for a tombstone
 * @param headers header name to value, in insertion order; unmodifiable
 */
public record WireRecord(String key, byte[] value, Map<String, byte[]> headers) {

    public WireRecord {
        headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** A header as UTF-8 text; null when absent. */
    public String header(String name) {
        byte[] v = headers.get(name);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("WireRecord[key=").append(key).append(", value=")
                .append(value == null ? "null" : value.length + " bytes").append(", headers={");
        String sep = "";
        for (Map.Entry<String, byte[]> h : headers.entrySet()) {
            String text = new String(h.getValue(), StandardCharsets.UTF_8);
            sb.append(sep).append(h.getKey()).append('=').append(text.length() > 80 ? text.substring(0, 80) + "..." : text);
            sep = ", ";
        }
        return sb.append("}]").toString();
    }
}
