package org.instruct4j.rlhf.cli;

import org.instruct4j.engine.backend.cpu.CpuBackend;
import org.instruct4j.engine.backend.cuda.CudaDoctor;
import org.instruct4j.rlhf.demo.RunIdentity;

/** `instruct4j doctor`: what this machine gives the engine (JVM, CPU backend, GPU, CUDA libraries, kernels). */
public final class DoctorCommand implements Command {
    @Override public String name() { return "doctor"; }

    @Override public String summary() { return "report the JVM, the CPU backend, and the GPU, CUDA libraries and kernels if any"; }

    @Override public int run(String[] args) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println("usage: instruct4j doctor\n  " + summary());
            return 0;
        }
        if (args.length > 0) throw new UserError("doctor takes no arguments, got '" + args[0] + "'");
        Runtime rt = Runtime.getRuntime();
        String code = RunIdentity.codeVersion();
        if (code != null) System.out.println("code      instruct4j " + code + " (git describe)");
        long machine = HeapAdvice.machineBytes();
        System.out.printf("java      %s (%s), max heap %d MiB%s%n", System.getProperty("java.version"), System.getProperty("java.vm.name"),
                rt.maxMemory() >> 20, machine > 0 ? " of the machine's " + HeapAdvice.gib(machine) + " GiB (" + HeapAdvice.DEMO_NEEDS + ")" : "");
        System.out.printf("os        %s %s, %d cores%n", System.getProperty("os.name"), System.getProperty("os.arch"), rt.availableProcessors());
        System.out.println("cpu       " + CpuBackend.INSTANCE.hardware());
        System.out.println();
        System.out.println(CudaDoctor.report());
        return 0;
    }
}
