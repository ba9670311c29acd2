package dev.daxfs.pmem;

import java.util.List;
import java.util.Optional;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * PMDK's libpmem, if it is installed. Optional: daxfs works without it, only {@code persist} is
 * slower on real pmem (msync instead of a cache flush).
 */
final class LibPmem {

    private static final Logger LOG = LogManager.getLogger(LibPmem.class);

    /**
     * The two entry points used; both are in every libpmem.so.1 since PMDK 1.0. Public only because
     * jnr-ffi implements it in a class loader of its own.
     */
    public interface Binding {
        int pmem_is_pmem(long addr, long len);

        void pmem_persist(long addr, long len);
    }

    private static final Optional<Binding> BINDING = load();

    private LibPmem() {
    }

    static Optional<Binding> binding() {
        return BINDING;
    }

    private static Optional<Binding> load() {
        // "pmem" finds libpmem.so or the versioned libpmem.so.1 (runtime package without -dev).
        for (String name : List.of("pmem", "libpmem.so.1")) {
            try {
                Binding b = LibraryLoader.create(Binding.class)
                        .option(LibraryOption.IgnoreError, true) // errno is not used; skipping it is cheaper
                        .failImmediately()
                        .load(name);
                LOG.debug("libpmem loaded as {}", name);
                return Optional.of(b);
            } catch (LinkageError | RuntimeException e) {
                LOG.debug("libpmem not loadable as {}: {}", name, e.toString());
            }
        }
        return Optional.empty();
    }
}
