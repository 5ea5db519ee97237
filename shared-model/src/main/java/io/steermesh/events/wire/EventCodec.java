package io.steermesh.events.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.InjectableValues;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.steermesh.events.ActivationsCaptured;
import io.steermesh.events.ActivationsRequested;
import io.steermesh.events.Event;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SteeringChanged;
import io.steermesh.events.SteeringVectorPublished;
import io.steermesh.events.TensorEvent;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TokenSampled;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Events to Kafka-shaped records and back ({@code contracts/README.md} and {@code TENSORS.md}).
 *
 * <ul>
 *   <li>JSON events: value = UTF-8 JSON, header {@code event-type} = the record's simple class name.</li>
 *   <li>{@link TensorEvent}s ({@link LogitsComputed}, {@link SteeringVectorPublished},
 *       {@link ActivationsCaptured}): value = the tensor as little-endian float32; headers
 *       {@code event-type}, {@code dtype=f32}, {@code shape} (JSON array text such as {@code [50257]}) and
 *       {@code meta} (the JSON of every other field).</li>
 * </ul>
 * The key is {@link Event#key()}. Decoding checks everything and throws {@link EventFormatException} naming
 * the field; readers ignore JSON fields they do not know, so producers can add fields first.
 */
public final class EventCodec {

    public static final String EVENT_TYPE = "event-type";
    public static final String DTYPE = "dtype";
    public static final String SHAPE = "shape";
    public static final String META = "meta";
    /** The only dtype so far: IEEE-754 float32, little-endian. */
    public static final String F32 = "f32";

    /** Every event record, by its {@code event-type} header value. */
    private static final Map<String, Class<? extends Event>> TYPES = byName(List.of(
            GenerationRequested.class, PromptTokenized.class, LogitsComputed.class, TokenSampled.class,
            TextDelta.class, GenerationFinished.class, GenerationFailed.class,
            GenerationCancelled.class, SteeringChanged.class,
            SteeringVectorPublished.class, ActivationsRequested.class, ActivationsCaptured.class));

    /** The record component that holds the tensor, for messages. */
    private static final Map<Class<?>, String> TENSOR_FIELD = Map.of(
            LogitsComputed.class, "logits", SteeringVectorPublished.class, "values", ActivationsCaptured.class, "values");

    private static final ObjectMapper JSON = newMapper();

    private EventCodec() {}

    /**
     * The mapper steermesh reads and writes events with: unknown fields ignored, nulls left out, no lenient
     * coercions (a JSON string is not a number, 1.5 is not an integer, null is not 0). The records carry
     * their own naming annotations, so another mapper produces the same JSON.
     */
    public static ObjectMapper newMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
                .build();
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** The {@code event-type} header value of {@code type}, e.g. {@code LogitsComputed}. */
    public static String eventType(Class<? extends Event> type) {
        return type.getSimpleName();
    }

    /** The record class an {@code event-type} header names; null when unknown. */
    public static Class<? extends Event> eventClass(String eventType) {
        return TYPES.get(eventType);
    }

    public static WireRecord encode(Event event) {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        headers.put(EVENT_TYPE, utf8(eventType(event.getClass())));
        byte[] value;
        if (event instanceof TensorEvent t) {
            headers.put(DTYPE, utf8(F32));
            headers.put(SHAPE, utf8(shapeText(t.shape())));
            headers.put(META, toJson(event));
            value = LittleEndian.floats(t.tensor());
        } else {
            value = toJson(event);
        }
        return new WireRecord(event.key(), value, headers);
    }

    /**
     * Decodes {@code record} as {@code type}, which may be a record class or one of the sealed interfaces
     * ({@code CompletionEvent}, {@code ControlEvent}, {@code Event}). The {@code event-type} header, when
     * present, picks the record class and must fit {@code type}; without it JSON events are read as
     * {@code type} (its {@code "type"} property picks the subtype of an interface).
     */
    public static <T extends Event> T decode(Class<T> type, WireRecord record) {
        Class<? extends Event> target = type;
        String eventType = record.header(EVENT_TYPE);
        if (eventType != null) {
            Class<? extends Event> named = TYPES.get(eventType);
            if (named == null) {
                throw new EventFormatException(EVENT_TYPE, "event-type header names no steermesh event (got \"" + eventType
                        + "\"; expected one of " + String.join(", ", TYPES.keySet()) + ")");
            }
            if (!type.isAssignableFrom(named)) {
                throw new EventFormatException(EVENT_TYPE, "event-type header is " + eventType + ", expected " + type.getSimpleName());
            }
            target = named;
        }
        if (TensorEvent.class.isAssignableFrom(target)) {
            if (target.isInterface()) throw new EventFormatException(EVENT_TYPE, "missing header event-type (which tensor event is this?)");
            return type.cast(decodeTensor(target, record));
        }
        if (record.value() == null) throw new EventFormatException(null, "record has no value (a tombstone is not a " + target.getSimpleName() + ")");
        if (target == Event.class) throw new EventFormatException(EVENT_TYPE, "missing header event-type (which event is this?)");
        return type.cast(fromJson(target, record.value()));
    }

    /** Decodes any steermesh record by its {@code event-type} header. */
    public static Event decode(WireRecord record) {
        return decode(Event.class, record);
    }

    /** JSON bytes of a record (a tensor event's tensor is left out: that is its {@code meta}). */
    public static byte[] toJson(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads JSON into {@code type}; any problem is an {@link EventFormatException} naming the field. */
    public static <T> T fromJson(Class<T> type, byte[] json) {
        T value;
        try {
            value = JSON.readValue(json, type);
        } catch (JacksonException e) {
            throw JsonErrors.translate(e, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (value == null) throw new EventFormatException(null, "the " + type.getSimpleName() + " JSON must be an object (got null)");
        return value;
    }

    public static <T> T fromJson(Class<T> type, String json) {
        return fromJson(type, utf8(json));
    }

    private static Event decodeTensor(Class<? extends Event> type, WireRecord record) {
        String field = TENSOR_FIELD.get(type);
        String dtype = required(record, DTYPE);
        if (!dtype.equals(F32)) throw new EventFormatException(DTYPE, "dtype must be f32 (got \"" + dtype + "\")");
        byte[] value = record.value();
        if (value == null) throw new EventFormatException(field, field + ": record has no value");
        if (value.length % Float.BYTES != 0) {
            throw new EventFormatException(field, field + ": value has " + value.length + " bytes, not a multiple of 4");
        }
        int count = value.length / Float.BYTES;
        int[] shape = parseShape(required(record, SHAPE));
        long product = 1;
        for (int d : shape) product *= d;
        if (product != count) {
            throw new EventFormatException(SHAPE, "shape " + shapeText(shape) + " does not match " + count + " floats");
        }
        byte[] meta = record.headers().get(META);
        if (meta == null) throw new EventFormatException(META, "missing header meta");
        float[] tensor = LittleEndian.floats(value, 0, count);
        TensorEvent event;
        try {
            event = (TensorEvent) JSON.reader(new InjectableValues.Std().addValue(TensorEvent.TENSOR, tensor))
                    .forType(type).readValue(meta);
        } catch (JacksonException e) {
            throw JsonErrors.translate(e, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (event == null) throw new EventFormatException(META, "meta must be a JSON object (got null)");
        if (!Arrays.equals(event.shape(), shape)) {
            throw new EventFormatException(SHAPE, "shape " + shapeText(shape) + " does not match the event's own shape "
                    + shapeText(event.shape()));
        }
        return event;
    }

    private static String required(WireRecord record, String header) {
        String v = record.header(header);
        if (v == null) throw new EventFormatException(header, "missing header " + header);
        return v;
    }

    /** {@code [50257]}, {@code [12,768]}: a JSON array of dimensions, no spaces. */
    public static String shapeText(int[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ",").append(shape[i]);
        return sb.append(']').toString();
    }

    /** Parses a {@code shape} header: a JSON array of one or more non-negative integers. */
    public static int[] parseShape(String text) {
        String t = text.strip();
        if (t.length() >= 2 && t.charAt(0) == '[' && t.charAt(t.length() - 1) == ']') {
            String inner = t.substring(1, t.length() - 1).strip();
            if (!inner.isEmpty()) {
                String[] parts = inner.split(",", -1);
                int[] shape = new int[parts.length];
                try {
                    for (int i = 0; i < parts.length; i++) {
                        String p = parts[i].strip();
                        if (!p.matches("0|[1-9][0-9]{0,9}")) throw new NumberFormatException(p);
                        shape[i] = Integer.parseInt(p);
                    }
                    return shape;
                } catch (NumberFormatException e) {
                    // falls through to the message below
                }
            }
        }
        throw new EventFormatException(SHAPE, "shape header must be a JSON array of dimensions such as [50257] (got \"" + text + "\")");
    }

    private static Map<String, Class<? extends Event>> byName(List<Class<? extends Event>> types) {
        Map<String, Class<? extends Event>> m = new LinkedHashMap<>();
        for (Class<? extends Event> t : types) m.put(eventType(t), t);
        return Collections.unmodifiableMap(m);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
