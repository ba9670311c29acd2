package dev.daxfs.pmem;

/** One way of making {@code [address, address+length)} durable; chosen once per mapping. */
interface Persister {

    void persist(long address, long length);

    PersistMethod method();
}
