package io.steermesh.service.auth;

/** What a client is told when a key is missing or wrong: how to send one, never which keys exist. */
public final class Unauthorized {

    private Unauthorized() {}

    /** {@code webSocket}: also mention the {@code api_key} query parameter, for browsers that cannot set headers. */
    public static String message(ApiKeys.Access access, boolean webSocket) {
        String how = webSocket ? "send it as Authorization: Bearer <key> or as the api_key query parameter" : "send it as Authorization: Bearer <key>";
        return switch (access) {
            case MISSING -> "an API key is required: " + how;
            case INVALID -> "the API key is not valid";
            case FORBIDDEN -> "writing the steering registry needs the admin key";
            case GRANTED -> "granted";
        };
    }
}
