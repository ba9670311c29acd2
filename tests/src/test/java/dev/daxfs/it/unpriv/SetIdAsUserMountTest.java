package dev.daxfs.it.unpriv;

import dev.daxfs.it.SetIdProbe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, set-id clearing, as real accounts: files of a freshly created user B, with set-id
 * modes and a file capability, written by another fresh user on every write path (buffered,
 * O_DIRECT, fallocate, punch, truncate, copy_file_range) on a cached and a {@code direct_io}
 * mount, each compared with tmpfs mounted alongside ({@link SetIdProbe}, shared with
 * SetIdClearingMountTest, which writes as nobody on root's files). Two writers: A, outside B's
 * group (S_ISGID goes even without group-exec), and C, a member of B's group through its
 * supplementary groups (S_ISGID without group-exec stays) — daxfs decides the second from the
 * writer's groups in /proc, so it is the case nobody's run cannot show.
 */
@Tag("mount")
class SetIdAsUserMountTest {

    @Test
    void writesByAnotherUserInAndOutsideTheOwnersGroupAsOnTmpfs() throws Exception {
        try (TestUsers users = new TestUsers(); SetIdProbe.Mounts mounts = SetIdProbe.Mounts.start()) {
            TestUsers.User b = users.create();
            TestUsers.User a = users.create();
            TestUsers.User c = users.create(b.gid());
            String owner = b.uid() + ":" + b.gid();
            Map<String, String> outside = new SetIdProbe(TestUsers.as(a), owner).assertSameAsTmpfs(mounts);
            Map<String, String> inside = new SetIdProbe(TestUsers.as(c), owner).assertSameAsTmpfs(mounts);
            // the two writers really are the two cases (tmpfs's answers differ where they should)
            assertTrue(outside.get("sgid-noxgrp").startsWith("666 "), "A outside the group: " + outside);
            assertTrue(inside.get("sgid-noxgrp").startsWith("2666 "), "C in the group: " + inside);
        }
    }
}
