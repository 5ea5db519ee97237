package io.steermesh.engine.tokenizer.chat;

/** A chat template that cannot be read or that fails to render (its own {@code raise_exception} included). */
public final class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
