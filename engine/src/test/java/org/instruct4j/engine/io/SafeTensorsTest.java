package org.instruct4j.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Bf16;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    static final GptConfig CONFIG = new GptConfig(64, 16, 2, 2, 32, 0f, 1e-5f);
    @TempDir Path dir;

    @Test void modelRoundTripIsBitIdentical() throws IOException {
        Gpt model = new Gpt(CONFIG, new Rng(1), Device.CPU);
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, model.parameters(), Map.of("format", "pt", "config", "tiny"));

        Map<String, Tensor> back = SafeTensors.read(file, Device.CPU);
        assertThat(back.keySet()).containsExactlyElementsOf(model.parameters().keySet());
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
            assertThat(back.get(e.getKey()).shape()).isEqualTo(e.getValue().shape());
            assertThat(back.get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue().toFloatArray());
        }
        assertThat(SafeTensors.metadata(file)).containsEntry("format", "pt").containsEntry("config", "tiny");

        Gpt loaded = new Gpt(CONFIG, new Rng(99), Device.CPU);
        loaded.loadParameters(back, true);
        Tensor tokens = Tensor.ofInts(new int[] {3, 1, 4, 1, 5, 9}, 1, 6);
        try (GradMode g = GradMode.off()) {
            assertThat(loaded.forward(tokens, null).toFloatArray()).containsExactly(model.forward(tokens, null).toFloatArray());
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.safetensors"); // no temp left
        }
    }

    @Test void intsAndBf16() throws IOException {
        Rng rng = new Rng(2);
        Tensor x = Tensor.randn(rng, 3f, 7, 5);
        Tensor ids = Tensor.ofInts(new int[] {1, -2, 3, Integer.MAX_VALUE}, 2, 2);
        Path file = dir.resolve("bf16.safetensors");
        SafeTensors.write(file, new LinkedHashMap<>(Map.of("x", x, "ids", ids)), null, true);
        Map<String, Tensor> back = SafeTensors.read(file, Device.CPU);
        assertThat(back.get("ids").dtype()).isEqualTo(DType.I32);
        assertThat(back.get("ids").toIntArray()).containsExactly(ids.toIntArray());
        float[] a = x.toFloatArray(), b = back.get("x").toFloatArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(b[i] - a[i])).as("element %d", i).isLessThanOrEqualTo(Math.abs(a[i]) / 256f);
            assertThat(Float.floatToRawIntBits(b[i]) & 0xFFFF).isZero();
        }
        assertThat(Files.size(file)).isLessThan(8 + 200 + 35 * 2 + 16 + 8);
    }

    @Test void bf16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even one, 1.
        assertThat(Bf16.fromFloat(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
        assertThat(Bf16.fromFloat(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
        assertThat(Bf16.fromFloat(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(Float.isNaN(Float.intBitsToFloat(Bf16.fromFloat(Float.NaN) << 16))).isTrue();
    }

    @Test void halfPrecisionReadsAsTheFloatsItHolds() throws IOException {
        // 1, -2.5, the largest half (65504), the smallest subnormal (2^-24), infinity: each widens exactly.
        short[] halves = {0x3C00, (short) 0xC100, 0x7BFF, 0x0001, 0x7C00};
        String json = "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]}}";
        Path file = raw("f16.safetensors", json, 10);
        ByteBuffer data = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : halves) data.putShort(h);
        byte[] bytes = Files.readAllBytes(file);
        System.arraycopy(data.array(), 0, bytes, bytes.length - 10, 10);
        Files.write(file, bytes);
        assertThat(SafeTensors.read(file, Device.CPU).get("h").toFloatArray())
                .containsExactly(1f, -2.5f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY);
    }

    // ---- corrupt files -----------------------------------------------------------------------------------

    private Path raw(String name, long headerLength, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(h);
        Path file = dir.resolve(name);
        Files.write(file, b.array());
        return file;
    }

    private Path raw(String name, String json, int dataBytes) throws IOException {
        return raw(name, json.getBytes(StandardCharsets.UTF_8).length, json, dataBytes);
    }

    @Test void truncatedFile() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafeTensors.read(file, Device.CPU))
                .hasMessageContaining("short.safetensors").hasMessageContaining("truncated");
    }

    @Test void headerLengthBeyondFile() throws IOException {
        Path file = raw("long.safetensors", 1000, "{}", 0);
        assertThatThrownBy(() -> SafeTensors.read(file, Device.CPU))
                .hasMessageContaining("long.safetensors").hasMessageContaining("header length 1000 is beyond");
    }

    @Test void badJson() throws IOException {
        Path file = raw("json.safetensors", "{\"a\": [", 0);
        assertThatThrownBy(() -> SafeTensors.read(file, Device.CPU))
                .hasMessageContaining("json.safetensors").hasMessageContaining("not valid JSON");
    }

    @Test void offsetsOutOfRange() throws IOException {
        Path file = raw("range.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertThatThrownBy(() -> SafeTensors.read(file, Device.CPU))
                .hasMessageContaining("range.safetensors").hasMessageContaining("tensor 'w'").hasMessageContaining("out of range");
    }

    @Test void overlappingTensors() throws IOException {
        Path file = raw("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> SafeTensors.read(file, Device.CPU))
                .hasMessageContaining("overlap.safetensors").hasMessageContaining("'a'").hasMessageContaining("'b'").hasMessageContaining("overlap");
    }

    @Test void byteCountMismatch() throws IOException {
        Path file = raw("count.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafeTensors.read(file, Device.CPU))
                .hasMessageContaining("count.safetensors").hasMessageContaining("shape [3] of F32 needs 12 bytes, data_offsets give 8");
    }

    @Test void unknownDtype() throws IOException {
        Path file = raw("dtype.safetensors", "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        assertThatThrownBy(() -> SafeTensors.read(file, Device.CPU))
                .hasMessageContaining("dtype.safetensors").hasMessageContaining("unknown dtype F8_E4M3");
    }

    @Test void loadParametersNamesMisshapedAndMissing() {
        Gpt model = new Gpt(CONFIG, new Rng(1), Device.CPU);
        Map<String, Tensor> values = model.parameters();
        values.put("wpe.weight", Tensor.zeros(8, 32));
        assertThatThrownBy(() -> new Gpt(CONFIG, new Rng(2), Device.CPU).loadParameters(values, true))
                .hasMessageContaining("wpe.weight").hasMessageContaining("[16,32]").hasMessageContaining("[8,32]");
        values.remove("wpe.weight");
        assertThatThrownBy(() -> new Gpt(CONFIG, new Rng(2), Device.CPU).loadParameters(values, true))
                .hasMessageContaining("missing parameter").hasMessageContaining("wpe.weight");
        // Non-strict: the missing parameter keeps the fresh model's init, every other one takes the loaded values.
        Gpt fresh = new Gpt(CONFIG, new Rng(2), Device.CPU);
        float[] init = fresh.parameters().get("wpe.weight").toFloatArray();
        fresh.loadParameters(values, false);
        for (Map.Entry<String, Tensor> e : fresh.parameters().entrySet()) {
            float[] want = e.getKey().equals("wpe.weight") ? init : values.get(e.getKey()).toFloatArray();
            assertThat(e.getValue().toFloatArray()).as(e.getKey()).containsExactly(want);
        }
    }
}
