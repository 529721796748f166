package io.zkgate.schema.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Runs zkgate-ctl in-process and captures what it prints. Not thread-safe. */
record CtlRun(int code, String out, String err) {
    static CtlRun of(Map<String, String> env, String... args) {
        return of(env, ctl -> ctl, args);
    }

    static CtlRun of(Map<String, String> env, UnaryOperator<ZkgateCtl> setup, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = setup.apply(new ZkgateCtl(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env)).execute(args);
        return new CtlRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
    }
}
