package dev.daxfs.direct.client;

/**
 * What to do when the server recalls a layout: stop loading and storing through it, commit what
 * should be kept, and {@link MappedLayout#returnLayout()} it within the lease-break time — or not,
 * and be fenced (killed). Runs on the client's recall thread (one per connection, recalls in the
 * order they came), not on the reader thread: a handler that commits or returns waits for the
 * server's reply, which the reader thread delivers.
 */
@FunctionalInterface
public interface RecallHandler {
    void recalled(MappedLayout layout, long off, long len);
}
