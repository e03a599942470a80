package org.instruct4j.engine.backend;

import java.util.concurrent.ConcurrentHashMap;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.backend.cpu.CpuBackend;

/** One backend per device, made on first use. The CUDA backend loads its native libraries only when asked for. */
public final class Backends {
    private static final ConcurrentHashMap<Device, Backend> BACKENDS = new ConcurrentHashMap<>();

    private Backends() {}

    public static Backend of(Device device) {
        return BACKENDS.computeIfAbsent(device, d -> switch (d.kind()) {
            case CPU -> CpuBackend.INSTANCE;
            case CUDA -> org.instruct4j.engine.backend.cuda.CudaBackend.open(d.index());
        });
    }

    public static Backend cpu() { return CpuBackend.INSTANCE; }
}
