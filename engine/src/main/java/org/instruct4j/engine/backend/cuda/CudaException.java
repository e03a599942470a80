package org.instruct4j.engine.backend.cuda;

import java.util.function.IntFunction;

/** A failed CUDA driver, NVRTC or cuBLAS call: names the library, the call, the status and its meaning. */
public final class CudaException extends RuntimeException {
    private final int status;
    private final NativeLibraries.NotLoaded notLoaded;

    public CudaException(String message, int status) {
        super(message);
        this.status = status;
        this.notLoaded = null;
    }

    public CudaException(String message) { this(message, -1); }

    /** A library that did not load; the message says it all in one line. */
    CudaException(NativeLibraries.NotLoaded notLoaded) {
        super(notLoaded.message());
        this.status = -1;
        this.notLoaded = notLoaded;
    }

    /** The library that did not load, where that is the failure; null for any other. */
    public NativeLibraries.NotLoaded notLoaded() { return notLoaded; }

    /** The library's status code (CUresult, nvrtcResult, cublasStatus_t), or -1 when there was none. */
    public int status() { return status; }

    /**
     * Throws when status is not 0 (success in all three libraries). describe turns a status into
     * "NAME (description)"; it may fail or return null, and the message still names the call and the number.
     */
    public static void check(String library, String call, int status, IntFunction<String> describe) {
        if (status != 0) throw of(library, call, status, describe);
    }

    static CudaException of(String library, String call, int status, IntFunction<String> describe) {
        String text;
        try {
            text = describe.apply(status);
        } catch (RuntimeException e) {
            text = null;
        }
        if (text == null || text.isBlank()) text = "unknown status";
        String after = library.equals("CUDA driver") && isKernelFault(status)
                ? "; a kernel queued before this call faulted, and the process's CUDA context is lost: restart it, with"
                  + " -Dinstruct4j.cuda.syncLaunches=true to name the kernel" : "";
        return new CudaException(call + " failed: " + text + " [" + library + " status " + status + "]" + after, status);
    }

    /** The driver's sticky errors: a kernel's fault, reported at whichever call comes next, after which every call fails. */
    static boolean isKernelFault(int status) {
        return status == 700 || (status >= 714 && status <= 719);
    }
}
