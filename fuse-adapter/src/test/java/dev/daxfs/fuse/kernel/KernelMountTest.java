package dev.daxfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel binding's -o parsing: the mount's source, flags and data. */
class KernelMountTest {

    @Test
    void sourceIsDaxfsUnlessFsnameNamesAnother() {
        assertEquals("daxfs", KernelMount.spec(3, List.of("allow_other"), 0, 0).source());
        KernelMount.Spec s = KernelMount.spec(3, List.of("allow_other", "fsname=/srv/a.img"), 0, 0);
        assertEquals("/srv/a.img", s.source());
        // fsname is the mount's source, never part of the data the fuse module parses
        assertFalse(s.data().contains("fsname"), s.data());
        assertTrue(s.allowOther());
        // the last one wins, as in libfuse
        assertEquals("b", KernelMount.spec(3, List.of("fsname=a", "fsname=b"), 0, 0).source());
    }

    @Test
    void emptyFsnameIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelMount.spec(3, List.of("fsname="), 0, 0));
        assertTrue(e.getMessage().contains("fsname="), e.getMessage());
    }

    @Test
    void fusermountGetsOneFsname() {
        assertEquals("fsname=daxfs,subtype=daxfs,default_permissions,allow_other",
                KernelMount.fusermountOptions(List.of("allow_other")));
        assertEquals("fsname=/srv/a.img,subtype=daxfs,default_permissions,allow_other",
                KernelMount.fusermountOptions(List.of("fsname=/srv/a.img", "allow_other")));
    }
}
