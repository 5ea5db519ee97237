package io.steermesh.cli;

/**
 * A mistake the user can fix (a bad flag, a missing file, a value out of range). {@link Main} prints its
 * message as one line and exits with status 2; it never becomes a stack trace.
 */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message, null, false, false);
    }
}
