package dev.daxfs.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.AppenderComponentBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

import java.nio.file.Path;

/**
 * The Log4j2 configuration, built in code: one appender (stderr, or a file when given), one
 * pattern with time, level, thread, logger and message, one level.
 *
 * <p>Log4j's own shutdown hook is disabled: the mount daemon logs from its shutdown hook while it
 * unmounts and closes the filesystem, and calls {@link #shutdown()} itself at the very end.
 */
final class Logging {

    /**
     * CR and LF in a message are escaped ({@code %enc{}{CRLF}}): names come from users, and a
     * name with a newline must not be able to forge a log line.
     */
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%t] %c{1} - %enc{%msg}{CRLF}%n%throwable";

    private Logging() {
    }

    /** Must run before any class asks LogManager for a logger. */
    static void preInit() {
        System.setProperty("log4j2.shutdownHookEnabled", "false");
        System.setProperty("log4j.shutdownHookEnabled", "false");
        // No JMX MBeans or status chatter from a command-line tool.
        System.setProperty("log4j2.disableJmx", "true");
        System.setProperty("log4j2.statusLoggerLevel", "OFF");
    }

    /** Logs at {@code level} to {@code file} (appending), or to stderr if {@code file} is null. */
    static void configure(Level level, Path file) {
        configure(level, file, false);
    }

    /**
     * Logs at {@code level} to {@code file} (appending), or, if it is null, to stdout or stderr.
     * The foreground mount daemon logs to stdout so that its stderr carries only the one-line
     * {@code daxfs: ...} error, if any.
     */
    static void configure(Level level, Path file, boolean stdout) {
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setConfigurationName("daxfs");
        b.setStatusLevel(Level.OFF);
        b.setShutdownHook("disable");
        AppenderComponentBuilder app;
        if (file == null) {
            app = b.newAppender("out", "Console")
                    .addAttribute("target", stdout ? ConsoleAppender.Target.SYSTEM_OUT : ConsoleAppender.Target.SYSTEM_ERR);
        } else {
            app = b.newAppender("out", "File")
                    .addAttribute("fileName", file.toString())
                    .addAttribute("append", true)
                    .addAttribute("immediateFlush", true);
        }
        app.add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN));
        b.add(app);
        b.add(b.newRootLogger(level).add(b.newAppenderRef("out")));
        Configurator.reconfigure(b.build());
    }

    static void shutdown() {
        LogManager.shutdown();
    }
}
