package dev.daxfs.direct.proto;

import java.io.IOException;

/** A packet that does not follow docs/direct-access.md (answered EPROTO where it can be). */
public class ProtocolException extends IOException {
    public static final int EPROTO = 71;

    public ProtocolException(String message) {
        super(message);
    }
}
