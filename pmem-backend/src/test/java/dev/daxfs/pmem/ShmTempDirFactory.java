package dev.daxfs.pmem;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * {@code @TempDir(factory = ShmTempDirFactory.class)}: a temporary directory on /dev/shm (tmpfs),
 * where sparse multi-GiB images cost nothing and MAP_SYNC is known to be unavailable. JUnit
 * deletes it after each test, whether it passed or not.
 */
public final class ShmTempDirFactory implements TempDirFactory {

    static final Path SHM = Path.of("/dev/shm");

    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext context) throws Exception {
        return Files.createTempDirectory(SHM, "daxfs-pmem-test-");
    }
}
