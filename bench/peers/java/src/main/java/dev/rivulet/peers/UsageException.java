package dev.rivulet.peers;

/** A command line the runners cannot use. */
final class UsageException extends RuntimeException {
  UsageException(String message) {
    super(message);
  }
}
