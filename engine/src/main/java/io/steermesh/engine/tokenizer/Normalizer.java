package io.steermesh.engine.tokenizer;

/**
 * Rewrites a plain text fragment before it is pre-tokenized (Unicode normalization, prefix space,
 * space-to-{@code ▁}). {@code atStart}: the fragment begins the text rather than following a special token.
 */
@FunctionalInterface
interface Normalizer {
    String apply(String fragment, boolean atStart);

    default Normalizer then(Normalizer next) {
        Normalizer first = this;
        return (text, atStart) -> next.apply(first.apply(text, atStart), atStart);
    }
}
