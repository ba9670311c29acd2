package dev.daxfs.fuse.libfuse2;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * Reads the offset of a jnr {@link Struct} member whose type is protected inside {@link Struct}
 * (jnr-fuse declares the C bit-fields of fuse_operations as {@code Struct.Padding}); only a
 * subclass of Struct may name those types.
 */
final class StructOffsets extends Struct {

    private StructOffsets() {
        super(Runtime.getSystemRuntime());
    }

    /** The byte offset of {@code member} (a field of some Struct) within its struct. */
    static long offsetOf(Object member) {
        return ((AbstractMember) member).offset();
    }
}
