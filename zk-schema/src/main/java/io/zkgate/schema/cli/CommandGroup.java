package io.zkgate.schema.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command that only holds subcommands: run without one, it is a usage error. Not thread-safe. */
abstract class CommandGroup implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public final void run() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }
}
