package dev.daxfs.core;

import com.kenai.jffi.MemoryIO;

/** A native buffer for tests, freed on close. */
public final class NativeBuf implements AutoCloseable {
    private static final MemoryIO MEM = MemoryIO.getInstance();
    public final long addr;
    public final int size;

    public NativeBuf(int size) {
        this.size = size;
        this.addr = MEM.allocateMemory(Math.max(1, size), true);
    }

    public void put(byte[] b) {
        MEM.putByteArray(addr, b, 0, b.length);
    }

    public byte[] get(int n) {
        byte[] b = new byte[n];
        MEM.getByteArray(addr, b, 0, n);
        return b;
    }

    @Override
    public void close() {
        MEM.freeMemory(addr);
    }
}
