package io.steermesh.engine.steering;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A named place in the residual stream, with TransformerLens names:
 * {@code blocks.L.hook_resid_pre} (input of block L), {@code blocks.L.hook_attn_out},
 * {@code blocks.L.hook_mlp_out} (what attention / the MLP add to the stream) and
 * {@code blocks.L.hook_resid_post} (output of block L, the same tensor as resid_pre of L + 1).
 */
public record HookPoint(int layer, Kind kind) {

    public enum Kind {
        RESID_PRE("hook_resid_pre"), ATTN_OUT("hook_attn_out"), MLP_OUT("hook_mlp_out"), RESID_POST("hook_resid_post");

        final String suffix;

        Kind(String suffix) { this.suffix = suffix; }
    }

    private static final Pattern NAME = Pattern.compile("blocks\\.(\\d{1,4})\\.(hook_resid_pre|hook_attn_out|hook_mlp_out|hook_resid_post)");

    public HookPoint {
        if (layer < 0) throw new IllegalArgumentException("hook layer must be >= 0 (got " + layer + ")");
    }

    /** Parses a hook name; {@code layers} bounds the layer index. */
    public static HookPoint parse(String name, int layers) {
        Matcher m = name == null ? null : NAME.matcher(name);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("hook must look like blocks.{L}.hook_resid_pre|hook_attn_out|hook_mlp_out|hook_resid_post (got "
                    + (name == null ? "nothing" : "\"" + name + "\"") + ")");
        }
        int layer = Integer.parseInt(m.group(1));
        if (layer >= layers) {
            throw new IllegalArgumentException("hook layer must be in [0, " + (layers - 1) + "] (got " + layer + " in \"" + name + "\")");
        }
        for (Kind k : Kind.values()) if (k.suffix.equals(m.group(2))) return new HookPoint(layer, k);
        throw new AssertionError(name);
    }

    /** Dense index of this hook among the model's 4 * layers hook points, in forward order. */
    public int index() { return layer * 4 + kind.ordinal(); }

    public String name() { return "blocks." + layer + "." + kind.suffix; }

    @Override
    public String toString() { return name(); }
}
