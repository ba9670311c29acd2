package dev.daxfs.pmem;

/**
 * Faults of the mapped device that reach Java code, and how a server keeps them from becoming
 * wrong answers.
 *
 * <p>Copies — file data, and metadata blocks read and written as byte arrays — fault
 * synchronously ({@link DeviceFaultException}). The loads and stores of single values
 * ({@link PmemDevice#getLong}, {@link PmemDevice#putInt} ...) stay single instructions on the
 * mapping: when one of those faults, HotSpot skips the instruction
 * (the value read is garbage) and throws an {@link InternalError} "a fault occurred in a recent
 * unsafe memory access operation" <em>asynchronously</em>, at the thread's next transition out of
 * compiled code. A server must therefore {@link #deliverPending() deliver} it before it answers a
 * request — otherwise the garbage may be the answer — and treat it as metadata damage
 * ({@link #isMetadataFault}): EIO, and the filesystem shut down read-only.
 */
public final class DeviceFaults {

    private DeviceFaults() {
    }

    /**
     * Makes a fault this thread's last device accesses raised, and that the JVM has noted but not
     * yet thrown, throw here: a native call's return is such a transition. Cheap (one trivial
     * system call); call it just before sending anything computed from the device.
     *
     * @throws InternalError the pending fault, if any
     */
    public static void deliverPending() {
        LibC.INSTANCE.getpid();
    }

    /** True for the JVM's report of a fault in an Unsafe access of the mapping. */
    public static boolean isMetadataFault(Throwable t) {
        if (!(t instanceof InternalError)) {
            return false;
        }
        String m = t.getMessage();
        return m != null && m.contains("unsafe memory access");
    }

    /** True for any fault of the device: a data copy's or a metadata access's. */
    public static boolean isFault(Throwable t) {
        return t instanceof DeviceFaultException || isMetadataFault(t);
    }
}
