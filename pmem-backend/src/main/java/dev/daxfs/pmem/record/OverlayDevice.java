package dev.daxfs.pmem.record;

/**
 * A copy-on-write view of another page device: reads fall through to the base until a page is
 * written, writes go to private copies. {@link #reset()} drops the private pages, so thousands of
 * crash images can be made from one base at the cost of the pages each one touches. The base must
 * not change while an overlay over it is in use.
 */
public final class OverlayDevice extends PageDevice {
    private final PageDevice base;
    private final byte[][] own;
    private int[] touched = new int[64];
    private int nTouched;
    /** Spare pages from earlier resets, reused to avoid garbage. */
    private byte[][] spare = new byte[64][];
    private int nSpare;

    public OverlayDevice(PageDevice base, String name) {
        super(name, base.size());
        this.base = base;
        this.own = new byte[pageCount()][];
    }

    /** Forgets every private page: the overlay reads as its base again. */
    public void reset() {
        for (int i = 0; i < nTouched; i++) {
            int p = touched[i];
            if (nSpare == spare.length) {
                spare = java.util.Arrays.copyOf(spare, nSpare * 2);
            }
            spare[nSpare++] = own[p];
            own[p] = null;
        }
        nTouched = 0;
    }

    /** Pages this overlay holds privately. */
    public int privatePages() {
        return nTouched;
    }

    @Override
    protected byte[] readPage(int page) {
        byte[] b = own[page];
        return b != null ? b : base.readPage(page);
    }

    @Override
    protected byte[] writePage(int page) {
        byte[] b = own[page];
        if (b == null) {
            b = nSpare > 0 ? spare[--nSpare] : new byte[PAGE_SIZE];
            spare[nSpare] = null;
            System.arraycopy(base.readPage(page), 0, b, 0, PAGE_SIZE);
            own[page] = b;
            if (nTouched == touched.length) {
                touched = java.util.Arrays.copyOf(touched, nTouched * 2);
            }
            touched[nTouched++] = page;
        }
        return b;
    }
}
