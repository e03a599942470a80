package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The emulated device is used only when named: the system property first, then the environment variable. */
class EmulatedDeviceChoiceTest {
    @Test void onlyAnExplicitChoiceSelectsTheEmulator() {
        assertThat(EmulatedDevice.chosen(null, Map.of())).isNull();
        assertThat(EmulatedDevice.chosen("", Map.of())).as("an empty property means: not chosen").isNull();
        assertThat(EmulatedDevice.chosen("a/lib", Map.of(EmulatedDevice.ENVIRONMENT, "b/lib"))).isEqualTo(Path.of("a/lib"));
        assertThat(EmulatedDevice.chosen(" ", Map.of(EmulatedDevice.ENVIRONMENT, "b/lib"))).isEqualTo(Path.of("b/lib"));
    }

    @Test void onlyTheDriverAndCublasAreStoodIn() {
        // NVRTC is never replaced: whatever is chosen, its sonames are not the emulator's
        assertThat(EmulatedDevice.standIn("NVRTC", java.util.List.of("libnvrtc.so.13", "libnvrtc.so"))).isNull();
    }
}
