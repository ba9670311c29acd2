package dev.daxfs.core.fs;

import dev.daxfs.core.Fallocate;
import dev.daxfs.core.NativeBuf;
import dev.daxfs.core.OpenFile;
import dev.daxfs.core.OpenFlags;
import dev.daxfs.core.SetAttr;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import static dev.daxfs.core.fs.Fixture.BS;
import static dev.daxfs.core.fs.Fixture.await;
import static dev.daxfs.core.fs.Fixture.assertBytes;
import static dev.daxfs.core.fs.Fixture.pattern;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Layout changes against each kind of outside reference, with the interleaving forced by test
 * hooks in the paths (no sleeps): a direct read's pinned copy, a direct write's copy and its
 * completion, and a stale pin the allocator must respect.
 */
class TruncateVsReferencesTest {
    private static final long IMG = 64L << 20;
    private static final int LEN = 64 << 10;

    /**
     * Truncate while an O_DIRECT read's copy from the blocks it frees is in flight: truncate
     * finds the pin and waits; the blocks stay with the file until the copy ends; the reader gets
     * the old bytes.
     */
    @Test
    void truncateWaitsForADirectReadsPinnedCopy() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            byte[] old = pattern(1, LEN);
            long ino = f.file("victim", LEN, 1);
            List<Long> victimBlocks = f.blocks(ino);
            CountDownLatch inCopy = new CountDownLatch(1);
            CountDownLatch letCopyFinish = new CountDownLatch(1);
            CountDownLatch truncateWaitsForPin = new CountDownLatch(1);
            FileIo.duringReadCopyForTests = () -> {
                if (Thread.currentThread().getName().equals("reader")) {
                    inCopy.countDown();
                    await(letCopyFinish);
                }
            };
            BreakLayouts.onPinWaitForTests = truncateWaitsForPin::countDown;

            OpenFile d = f.fs.open(ino, OpenFlags.O_RDONLY | OpenFlags.O_DIRECT);
            NativeBuf buf = new NativeBuf(LEN);
            Worker<Integer> reader = Worker.start("reader", () -> f.fs.read(d, 0, buf.addr, LEN));
            await(inCopy); // the reader has mapped, counted itself in flight, dropped IOLOCK, pinned
            Worker<Void> truncater = Worker.run("truncater", () -> f.fs.setattr(ino, SetAttr.size(0)));
            await(truncateWaitsForPin);

            // Truncate is stuck on the pin: the layout has not changed, and a writer that
            // allocates now cannot get the reader's blocks (they still belong to the file).
            assertEquals(LEN, f.fs.getattr(ino).size());
            assertFalse(truncater.isDone());
            long other = f.create("other");
            f.write(other, 0, pattern(2, 1 << 20), 0);
            f.fs.sync();
            Set<Long> overlap = new HashSet<>(f.blocks(other));
            overlap.retainAll(victimBlocks);
            assertEquals(Set.of(), overlap, "blocks of a file with a pinned copy were handed out");

            letCopyFinish.countDown();
            int n = reader.join();
            truncater.join();
            assertTrue(n == LEN || n < LEN, "read length " + n);
            assertBytes(java.util.Arrays.copyOf(old, n), buf.get(n), "the pinned reader's bytes");
            assertEquals(0, f.fs.getattr(ino).size());
            assertEquals(1, f.stat("layout_waits_pin"));
            assertEquals(1, f.stat("layout_waits"));
            f.fs.release(d);
            buf.close();
        }
    }

    /**
     * Truncate while an O_DIRECT write is between its copy and its completion: no pin is left,
     * so truncate goes on to dio-wait and waits there; the write completes first, and the part
     * that survives the truncate is all new.
     */
    @Test
    void truncateWaitsInDioWaitForADirectWrite() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("victim", LEN, 1);
            byte[] neu = pattern(9, LEN);
            CountDownLatch copied = new CountDownLatch(1);
            CountDownLatch letComplete = new CountDownLatch(1);
            CountDownLatch truncateInDioWait = new CountDownLatch(1);
            FileIo.afterDirectWriteCopyForTests = () -> {
                copied.countDown();
                await(letComplete);
            };
            dev.daxfs.core.inode.DioCounter.onWaitForTests = truncateInDioWait::countDown;

            Worker<Void> writer = Worker.run("dio-writer", () -> f.write(ino, 0, neu, OpenFlags.O_DIRECT));
            await(copied);
            Worker<Void> truncater = Worker.run("truncater", () -> f.fs.setattr(ino, SetAttr.size(LEN / 4)));
            await(truncateInDioWait);
            assertEquals(LEN, f.fs.getattr(ino).size(), "truncate changed the layout under an in-flight write");
            letComplete.countDown();
            writer.join();
            truncater.join();

            assertEquals(LEN / 4, f.fs.getattr(ino).size());
            assertBytes(java.util.Arrays.copyOf(neu, LEN / 4), f.read(ino, 0, LEN), "surviving range after truncate");
            assertEquals(1, f.stat("layout_waits_dio"));
            assertEquals(0, f.stat("layout_waits_pin"));
        }
    }

    /**
     * Punch while an O_DIRECT write's copy is in flight: punch first waits for the write's pin,
     * then for its completion; afterwards the written range is all new except the punched part,
     * which reads zeros — never a block that was freed and reused.
     */
    @Test
    void punchWaitsForAnInFlightDirectWriteThenZeroes() throws Exception {
        try (Fixture f = new Fixture(IMG)) {
            long ino = f.file("victim", LEN, 1);
            byte[] neu = pattern(7, LEN);
            CountDownLatch inCopy = new CountDownLatch(1);
            CountDownLatch letCopyFinish = new CountDownLatch(1);
            CountDownLatch punchWaitsForPin = new CountDownLatch(1);
            FileIo.duringDirectWriteCopyForTests = () -> {
                inCopy.countDown();
                await(letCopyFinish);
            };
            BreakLayouts.onPinWaitForTests = punchWaitsForPin::countDown;

            Worker<Void> writer = Worker.run("dio-writer", () -> f.write(ino, 0, neu, OpenFlags.O_DIRECT));
            await(inCopy);
            Worker<Void> puncher = Worker.run("puncher", () ->
                    f.fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, LEN / 4, LEN / 4));
            await(punchWaitsForPin);
            letCopyFinish.countDown();
            writer.join();
            puncher.join();

            byte[] expect = neu.clone();
            java.util.Arrays.fill(expect, LEN / 4, LEN / 2, (byte) 0);
            assertBytes(expect, f.read(ino, 0, LEN), "file after write then punch");
            // The punched blocks are free again; a new file may get them, and the victim must not
            // see that file's bytes.
            long other = f.create("other");
            f.write(other, 0, pattern(3, 1 << 20), 0);
            assertBytes(expect, f.read(ino, 0, LEN), "file after another file reused the freed blocks");
            assertEquals(1, f.stat("layout_waits_pin"));
        }
    }

    /**
     * A write allocates right after a punch freed blocks, while a reference that escaped
     * break_layouts (a stale pin taken after the break, modelling a revoked client still
     * copying) still covers one of them: the allocator skips that block until it is unpinned,
     * and hands out its neighbours.
     */
    @Test
    void allocatorSkipsAFreedBlockThatIsStillPinned() throws Exception {
        try (Fixture f = new Fixture(16L << 20)) {
            long ino = f.file("victim", 8 * BS, 1);
            List<Long> freed = f.blocks(ino);
            long stale = freed.get(0);
            CountDownLatch pinned = new CountDownLatch(1);
            CountDownLatch unpin = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<Worker<Void>> staleReader = new java.util.concurrent.atomic.AtomicReference<>();
            BreakLayouts.afterBreakForTests = () -> {
                BreakLayouts.afterBreakForTests = null;
                staleReader.set(Worker.run("stale-reader", () -> {
                    f.ctx.pins.pin(stale, 1);
                    pinned.countDown();
                    await(unpin);
                    f.ctx.pins.unpin();
                }));
                await(pinned);
            };
            f.fs.fallocate(ino, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 0, 8 * BS);
            f.fs.sync(); // the free is durable: only the pin keeps the block busy now

            // Fill the filesystem: every free block is handed out except the pinned one.
            long filler = f.create("filler");
            OpenFile w = f.fs.open(filler, OpenFlags.O_RDWR);
            long off = 0;
            try (NativeBuf b = new NativeBuf(1 << 20)) {
                b.put(pattern(5, 1 << 20));
                while (true) {
                    try {
                        int n = f.fs.write(w, off, b.addr, 1 << 20);
                        off += n;
                    } catch (dev.daxfs.core.FsException e) {
                        assertEquals(dev.daxfs.core.Errno.ENOSPC, e.errno());
                        break;
                    }
                }
            }
            Set<Long> got = new HashSet<>(f.blocks(filler));
            assertFalse(got.contains(stale), "the allocator handed out a pinned block");
            assertTrue(got.containsAll(freed.subList(1, freed.size())), "the unpinned freed blocks were reused");

            assertFalse(f.ctx.alloc.isFree(stale), "a pinned block counted as allocatable");
            unpin.countDown();
            staleReader.get().join();
            // Once unpinned, the block is allocatable again.
            assertTrue(f.ctx.alloc.isFree(stale), "the unpinned block did not come back");
            f.fs.release(w);
        }
    }
}
