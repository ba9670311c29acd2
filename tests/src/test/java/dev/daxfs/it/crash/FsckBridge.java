package dev.daxfs.it.crash;

import dev.daxfs.pmem.PmemDevice;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.Collection;

/**
 * Runs fs-core's fsck ({@code dev.daxfs.core.fsck.Fsck.run(dev, FsckOptions)}, check only) on a
 * crash image when fs-core has it. Looked up reflectively so the explorer builds whether or not
 * fsck has landed; {@link #available()} says which, and the report prints it.
 */
final class FsckBridge {
    private static final Method RUN;
    private static final Object OPTS;

    static {
        Method run = null;
        Object opts = null;
        try {
            Class<?> fsck = Class.forName("dev.daxfs.core.fsck.Fsck");
            Class<?> optsClass = Class.forName("dev.daxfs.core.fsck.FsckOptions");
            run = fsck.getMethod("run", PmemDevice.class, optsClass);
            opts = checkOnlyOptions(optsClass);
        } catch (ReflectiveOperationException | RuntimeException e) {
            run = null;
        }
        RUN = opts == null ? null : run;
        OPTS = opts;
    }

    /** Options with repair off: a static no-argument factory, else the record with defaults. */
    private static Object checkOnlyOptions(Class<?> c) throws ReflectiveOperationException {
        for (String name : new String[]{"checkOnly", "check", "defaults", "readOnly"}) {
            try {
                Method m = c.getMethod(name);
                if (Modifier.isStatic(m.getModifiers()) && c.isAssignableFrom(m.getReturnType())) {
                    Object o = m.invoke(null);
                    if (!repairOn(o)) {
                        return o;
                    }
                }
            } catch (NoSuchMethodException ignored) {
                // try the next
            }
        }
        if (c.isRecord()) {
            RecordComponent[] rc = c.getRecordComponents();
            Class<?>[] types = new Class<?>[rc.length];
            Object[] args = new Object[rc.length];
            for (int i = 0; i < rc.length; i++) {
                types[i] = rc[i].getType();
                args[i] = defaultOf(types[i]);
            }
            Constructor<?> k = c.getDeclaredConstructor(types);
            return k.newInstance(args);
        }
        return c.getConstructor().newInstance();
    }

    private static boolean repairOn(Object o) {
        try {
            return Boolean.TRUE.equals(o.getClass().getMethod("repair").invoke(o));
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    private static Object defaultOf(Class<?> t) {
        if (t == boolean.class) {
            return false;
        }
        if (t == int.class) {
            return 0;
        }
        if (t == long.class) {
            return 0L;
        }
        if (t == double.class) {
            return 0.0;
        }
        return null;
    }

    static boolean available() {
        return RUN != null;
    }

    /** Null if fsck finds the image clean (or fsck is not there); else what it reports. */
    static String check(PmemDevice dev) {
        if (RUN == null) {
            return null;
        }
        try {
            Object report = RUN.invoke(null, dev, OPTS);
            boolean clean = (Boolean) report.getClass().getMethod("clean").invoke(report);
            if (clean) {
                return null;
            }
            Object exit = report.getClass().getMethod("exitCode").invoke(report);
            Object problems = report.getClass().getMethod("problems").invoke(report);
            String list = problems instanceof Collection<?> col && col.size() > 5
                    ? col.stream().limit(5).toList() + " ... (" + col.size() + ")" : String.valueOf(problems);
            return "fsck exit " + exit + ": " + list;
        } catch (ReflectiveOperationException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            return "fsck failed: " + c;
        }
    }

    private FsckBridge() {
    }
}
