package io.steermesh.engine.tokenizer.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.beans.FeatureDescriptor;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Jinjava (HubSpot's Java Jinja engine) set up as Hugging Face's {@code apply_chat_template} sets up Jinja2:
 * {@code trim_blocks}, {@code lstrip_blocks}, no trailing newline kept, Python operator precedence,
 * {@code raise_exception}, {@code strftime_now}, a {@code tojson} with Python's {@code json.dumps} output, Python
 * string methods and slices. Sandboxed as Jinjava is: templates reach only the values they are given, method
 * calls only on allow-listed types, output size capped.
 */
final class HfJinja {

    /** The render's clock, for {@code strftime_now}. */
    static final ScopedValue<ZonedDateTime> NOW = ScopedValue.newInstance();

    private static final long MAX_OUTPUT_CHARS = 16L << 20;

    private final Jinjava jinjava;

    HfJinja() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(64)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)   // messages|length - 1 is (messages|length) - 1
                        .withParseWhitespaceControlStrictly(true)
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true)  // {{- x -}} and {#- -#} strip whitespace as in Jinja2
                        .build())
                .build();
        jinjava = new Jinjava(config);
        var globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", HfJinja.class, "raiseException", String.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", HfJinja.class, "strftimeNow", String.class));
        globals.registerFunction(new ELFunctionDefinition("", PySyntax.FUNCTION, PySyntax.class, "slice", Object.class, Object.class, Object.class));
        globals.registerFilter(new ToJson());
        globals.registerTag(new Generation());
    }

    /** Rewrites the Python syntax Jinjava lacks; done once per template. */
    static String prepare(String source) {
        // Jinja2 drops one trailing newline of the template (keep_trailing_newline=False)
        String s = source.endsWith("\r\n") ? source.substring(0, source.length() - 2)
                : source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        return PySyntax.rewrite(s);
    }

    /** Renders a prepared template; a fatal template error throws, naming each problem and its line. */
    String render(String prepared, Map<String, Object> context, ZonedDateTime now) {
        RenderResult result = ScopedValue.where(NOW, now).call(() -> jinjava.renderForResult(prepared, context));
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            throw new ChatTemplateException(fatal.stream()
                    .map(e -> (e.getLineno() > 0 ? "line " + e.getLineno() + ": " : "") + message(e))
                    .collect(Collectors.joining("; ")));
        }
        return result.getOutput();
    }

    private static String message(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof RaisedException r) return r.getMessage();
        }
        String m = e.getMessage();
        int raised = m == null ? -1 : m.indexOf(RaisedException.PREFIX);
        return raised >= 0 ? m.substring(raised) : m;
    }

    /** The template's own {@code raise_exception(message)}: the render fails with that message. */
    public static String raiseException(String message) {
        throw new RaisedException(message);
    }

    /** Python's {@code datetime.now().strftime(format)} at the render's clock. */
    public static String strftimeNow(String format) {
        return Strftime.format(NOW.orElse(ZonedDateTime.now()), format);
    }

    static final class RaisedException extends RuntimeException {
        static final String PREFIX = "template raised: ";

        RaisedException(String message) {
            super(PREFIX + message);
        }
    }

    /** Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)}, as transformers' {@code tojson}. */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Integer indent = args.length > 0 && args[0] != null && !args[0].isBlank() ? Integer.valueOf(args[0].strip()) : null;
            return PyJson.dumps(var, indent);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return PyJson.dumps(var, indent instanceof Number n ? n.intValue() : null);
        }
    }

    /**
     * {@code {% generation %}...{% endgeneration %}}: transformers' AssistantTracker marks the assistant's tokens
     * with it (for training masks); rendering a prompt, it is its body.
     */
    private static final class Generation implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder body = new StringBuilder();
            for (Node child : tagNode.getChildren()) body.append(child.render(interpreter).getValue());
            return body.toString();
        }
    }

    /** Python str methods on strings, Python dict.get with a default, and slices of lists and strings. */
    private static final class PythonMethods extends ELResolver {
        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (base instanceof String s && method instanceof String name) {
                var r = PyStrings.invoke(s, name, params);
                if (r.isPresent()) {
                    context.setPropertyResolved(true);
                    return r.get();
                }
            }
            if (base instanceof Map<?, ?> m && "get".equals(method) && params != null && params.length == 2) {
                context.setPropertyResolved(true);
                return m.containsKey(params[0]) ? m.get(params[0]) : params[1];
            }
            return null;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            if (base instanceof String s && index(property) != null) {
                // Python's s[i]: one character, negative i from the end
                int i = index(property), at = i < 0 ? i + s.length() : i;
                if (at < 0 || at >= s.length()) throw new IllegalArgumentException("string index " + i + " out of range");
                context.setPropertyResolved(true);
                return String.valueOf(s.charAt(at));
            }
            PySyntax.Slice slice = PySyntax.Slice.parse(property);
            if (slice != null) {
                if (base instanceof String s) {
                    context.setPropertyResolved(true);
                    return slice.apply(s);
                }
                if (base instanceof List<?> l) {
                    context.setPropertyResolved(true);
                    return slice.apply(l);
                }
                if (base instanceof Collection<?> c) {
                    context.setPropertyResolved(true);
                    return slice.apply(List.copyOf(c));
                }
            }
            return null;
        }

        private static Integer index(Object property) {
            if (property instanceof Integer || property instanceof Long) return ((Number) property).intValue();
            if (property instanceof String p && p.matches("-?\\d{1,9}")) return Integer.valueOf(p);
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {}

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }
}
