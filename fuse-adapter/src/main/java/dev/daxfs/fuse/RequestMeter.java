package dev.daxfs.fuse;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the FUSE requests a binding served and the daemon's CPU time meanwhile, for the line
 * each binding logs when its connection ends ("N requests, S s of daemon CPU, U µs per request"):
 * what a request costs in user-space CPU, everything included (the binding, fs-core, the JIT and
 * the garbage collector), comparable between the two bindings on the same workload. A
 * {@link LongAdder}: workers count without contending.
 */
public final class RequestMeter {
    private final LongAdder requests = new LongAdder();
    private final Duration cpuAtStart = processCpu();

    /** One request read from /dev/fuse (whatever its answer). */
    public void served() {
        requests.increment();
    }

    public long requests() {
        return requests.sum();
    }

    /** The line to log: requests, daemon CPU since this meter was made, and their quotient. */
    public String summary() {
        long n = requests.sum();
        Duration cpu = processCpu().minus(cpuAtStart);
        double us = n == 0 ? 0 : cpu.toNanos() / 1e3 / n;
        return String.format("%d requests, %.2f s of daemon CPU, %.1f µs per request", n, cpu.toNanos() / 1e9, us);
    }

    /** User plus system CPU of the whole process so far (zero where the JVM cannot tell). */
    private static Duration processCpu() {
        return ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO);
    }
}
