package dev.daxfs.cli;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code --version}: the Maven project version, recorded in a filtered resource at build time. */
final class Version implements IVersionProvider {

    static String version() {
        try (InputStream in = Version.class.getResourceAsStream("/daxfs-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[]{"daxfs " + version() + " (Java " + Runtime.version() + ")"};
    }
}
