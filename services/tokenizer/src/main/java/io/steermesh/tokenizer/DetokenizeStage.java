package io.steermesh.tokenizer;

import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.FinishReason;
import io.steermesh.events.GenerationFinished;
import io.steermesh.events.LensLayer;
import io.steermesh.events.TextDelta;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.TopToken;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Token → text, without per-sequence state: each {@link TokenSampled} carries every generated id
 * before it, so the text delivered up to index k is a pure function of those ids, and the delta for k is the
 * difference between the text delivered up to k and up to k - 1. Any replica can therefore take over
 * a sequence, and a redelivered token yields the same delta (which the gateway de-duplicates by index).
 *
 * <p>What counts as delivered: only complete UTF-8 characters, and never a tail that could still grow
 * into a stop string (held back until it cannot). At the end everything left is flushed. A stop string
 * ends the completion before it (OpenAI semantics); a stop token ends it and is not part of it.
 */
public final class DetokenizeStage {

    /** @param stopStringHit a stop string ended the completion here: the worker must be told to stop */
    public record Output(List<CompletionEvent> events, boolean stopStringHit) {}

    private final Tokenizer tokenizer;

    public DetokenizeStage(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public Output onToken(TokenSampled t) {
        int k = t.index();
        int[] ids = java.util.Arrays.copyOf(t.generatedIds(), k + 1);   // the record guarantees the k ids before this one
        ids[k] = t.tokenId();
        List<String> stops = t.stop() == null ? List.of() : t.stop();
        boolean stopToken = t.finishReason() == FinishReason.STOP;
        int context = firstContext(t.promptTokens());
        Delivered before = delivered(ids, k, false, stops, context);
        if (before.stopAt >= 0) return new Output(List.of(), false);   // a stop string already ended it

        boolean last = t.finishReason() != null;
        Delivered now = delivered(ids, stopToken ? k : k + 1, last, stops, context);
        String delta = now.text.substring(before.text.length());
        List<CompletionEvent> events = new ArrayList<>(2);
        boolean emitted = !stopToken || !delta.isEmpty();
        if (emitted) {
            events.add(new TextDelta(t.sequenceId(), k, t.tokenId(), delta, t.logprob(), withText(t.topProcessed()), withText(t.topRaw()),
                    t.steeringIdentity(), t.features(), t.routing(), lensWithText(t)));
        }
        if (now.stopAt >= 0) {
            events.add(new GenerationFinished(t.sequenceId(), FinishReason.STOP, GenerationFinished.Usage.of(t.promptTokens(), k + 1), k));
            return new Output(events, true);
        }
        if (last) {
            int completionTokens = stopToken ? k : k + 1;
            Integer lastIndex = emitted ? Integer.valueOf(k) : (k > 0 ? Integer.valueOf(k - 1) : null);
            events.add(new GenerationFinished(t.sequenceId(), t.finishReason(),
                    GenerationFinished.Usage.of(t.promptTokens(), completionTokens), lastIndex));
        }
        return new Output(events, false);
    }

    /** Alternatives with their own text, so clients can show them (OpenAI's top_logprobs are keyed by token text). */
    private List<TopToken> withText(List<TopToken> tops) {
        if (tops.isEmpty()) return tops;
        List<TopToken> out = new ArrayList<>(tops.size());
        for (TopToken tt : tops) out.add(tt.withText(new String(tokenizer.tokenBytes(-1, tt.id()), StandardCharsets.UTF_8)));
        return out;
    }

    /** The lens alternatives with their own text, like {@link #withText}. */
    private List<LensLayer> lensWithText(TokenSampled t) {
        if (t.lens() == null) return null;
        return t.lens().stream().map(layer -> layer.withTop(withText(layer.top()))).toList();
    }

    /** The text delivered after the first {@code n} completion tokens; {@code stopAt >= 0} when a stop string ended it. */
    private record Delivered(String text, int stopAt) {}

    /**
     * The token before the completion, as far as decoding cares: SentencePiece drops the leading space
     * of the first piece after BOS (llama2.c's decode), and a one-token prompt in a BOS family is BOS
     * alone. Events carry the prompt's length, not its ids, so a single non-BOS prompt token would be
     * taken for BOS too (its first generated piece then loses a leading space).
     */
    private int firstContext(int promptTokens) {
        return promptTokens == 1 && tokenizer.addBosToPrompts() ? tokenizer.bosId().orElse(-1) : -1;
    }

    private Delivered delivered(int[] ids, int n, boolean last, List<String> stops, int context) {
        if (n <= 0) return new Delivered("", -1);
        byte[] bytes = bytes(ids, n, context);
        String full = last ? new String(bytes, StandardCharsets.UTF_8) : completePrefix(bytes);
        int stopAt = -1;
        for (String s : stops) {
            int at = full.indexOf(s);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) stopAt = at;
        }
        if (stopAt >= 0) return new Delivered(full.substring(0, stopAt), stopAt);
        int safe = last ? full.length() : full.length() - heldForStop(full, stops);
        return new Delivered(full.substring(0, safe), -1);
    }

    private byte[] bytes(int[] ids, int n, int context) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(n * 4);
        int prev = context;
        for (int i = 0; i < n; i++) {
            out.writeBytes(tokenizer.tokenBytes(prev, ids[i]));
            prev = ids[i];
        }
        return out.toByteArray();
    }

    /** The longest prefix of {@code bytes} made of complete UTF-8 characters, decoded (malformed bytes become U+FFFD). */
    private static String completePrefix(byte[] bytes) {
        int end = bytes.length;
        // step back over an unfinished multi-byte sequence at the very end (at most 3 bytes)
        for (int back = 1; back <= Math.min(3, bytes.length); back++) {
            int b = bytes[bytes.length - back] & 0xff;
            if ((b & 0xc0) == 0x80) continue;            // continuation byte: keep looking for the lead
            int need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
            if (need > back) end = bytes.length - back;  // the lead's sequence is not complete yet
            break;
        }
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return d.decode(ByteBuffer.wrap(bytes, 0, end)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("replacing decoder reported an error", e);
        }
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of some stop string. */
    private static int heldForStop(String text, List<String> stops) {
        int held = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, text.length()); len > held; len--) {
                if (text.regionMatches(text.length() - len, s, 0, len)) {
                    held = len;
                    break;
                }
            }
        }
        return held;
    }
}
