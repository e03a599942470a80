package org.instruct4j.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Bf16;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}}, then the raw
 * little-endian bytes, offsets counted from the end of the header. Reading maps the file into memory; F32 and
 * I32 load as they are, BF16 and F16 (what transformers writes for a model saved in half precision) are widened
 * to F32 on the CPU. Writing goes through {@link AtomicFiles}.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Headers beyond this are not a safetensors file (the reference implementation's limit). */
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** The element types a file may hold: what it stores, not what it loads as (BF16 and F16 load as F32). */
    private enum Stored {
        F32(4), BF16(2), F16(2), I32(4);

        final int bytes;

        Stored(int bytes) { this.bytes = bytes; }
    }

    private record Entry(String name, Stored dtype, int[] shape, long begin, long end) {}

    // ---- reading --------------------------------------------------------------------------------------------

    /** Every tensor of the file, in file order, on device. */
    public static Map<String, Tensor> read(Path file, Device device) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            JsonNode header = header(file, ch, size);
            long dataStart = 8 + headerLength(file, ch, size);
            List<Entry> entries = entries(file, header, size - dataStart);
            MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, size - dataStart, arena);
            LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : entries) out.put(e.name, load(e, data, device).named(e.name));
            return out;
        }
    }

    /** The "__metadata__" strings of the header (empty when there are none). */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            JsonNode meta = header(file, ch, ch.size()).get("__metadata__");
            LinkedHashMap<String, String> out = new LinkedHashMap<>();
            if (meta == null || meta.isNull()) return out;
            if (!meta.isObject()) throw bad(file, "__metadata__ is not an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) throw bad(file, "__metadata__ value of '" + e.getKey() + "' is not a string");
                out.put(e.getKey(), e.getValue().asText());
            }
            return out;
        }
    }

    private static long headerLength(Path file, FileChannel ch, long size) throws IOException {
        if (size < 8) throw bad(file, "truncated: " + size + " bytes, not even the 8-byte header length");
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(b, 0);
        long n = b.flip().getLong();
        if (n < 0 || n > size - 8)
            throw bad(file, "header length " + Long.toUnsignedString(n) + " is beyond the file's " + (size - 8) + " bytes after the length");
        if (n > MAX_HEADER) throw bad(file, "header length " + n + " is over the " + MAX_HEADER + "-byte limit");
        return n;
    }

    private static JsonNode header(Path file, FileChannel ch, long size) throws IOException {
        int n = (int) headerLength(file, ch, size);
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) if (ch.read(b, 8 + b.position()) < 0) throw bad(file, "truncated header");
        JsonNode root;
        try {
            root = JSON.readTree(new String(b.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw bad(file, "header is not a JSON object");
        return root;
    }

    private static List<Entry> entries(Path file, JsonNode header, long dataSize) throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("__metadata__")) continue;
            entries.add(entry(file, f.getKey(), f.getValue(), dataSize));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry a = byOffset.get(i - 1), b = byOffset.get(i);
            if (b.begin < a.end)
                throw bad(file, "tensors '" + a.name + "' [" + a.begin + ", " + a.end + ") and '" + b.name
                        + "' [" + b.begin + ", " + b.end + ") overlap");
        }
        return entries;
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataSize) throws IOException {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) throw bad(file, where + "entry is not an object");
        JsonNode dt = node.get("dtype"), sh = node.get("shape"), off = node.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw bad(file, where + "missing dtype");
        Stored dtype = switch (dt.asText()) {
            case "F32" -> Stored.F32;
            case "BF16" -> Stored.BF16;
            case "F16" -> Stored.F16;
            case "I32" -> Stored.I32;
            default -> throw bad(file, where + "unknown dtype " + dt.asText() + " (supported: F32, BF16, F16, I32)");
        };
        if (sh == null || !sh.isArray()) throw bad(file, where + "missing shape");
        int[] shape = new int[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!sh.get(i).canConvertToInt() || sh.get(i).asInt() < 0) throw bad(file, where + "bad shape " + sh);
            shape[i] = sh.get(i).asInt();
        }
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong())
            throw bad(file, where + "data_offsets must be [begin, end]");
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize)
            throw bad(file, where + "data_offsets [" + begin + ", " + end + "] out of range of the " + dataSize + " data bytes");
        long expected = Tensor.numel(shape) * dtype.bytes;
        if (end - begin != expected)
            throw bad(file, where + "shape " + Tensor.shapeString(shape) + " of " + dtype + " needs " + expected
                    + " bytes, data_offsets give " + (end - begin));
        return new Entry(name, dtype, shape, begin, end);
    }

    private static Tensor load(Entry e, MemorySegment data, Device device) {
        int n = Math.toIntExact(Tensor.numel(e.shape));
        MemorySegment src = data.asSlice(e.begin, e.end - e.begin);
        return switch (e.dtype) {
            case F32 -> {
                float[] v = new float[n];
                MemorySegment.copy(src, F32_LE, 0, v, 0, n);
                yield Tensor.of(v, device, e.shape);
            }
            case BF16, F16 -> {
                short[] raw = new short[n];
                MemorySegment.copy(src, HALF_LE, 0, raw, 0, n);
                float[] v = new float[n];
                // Both widen exactly: bf16 is a float's top half, and every half-precision value is a float.
                if (e.dtype == Stored.BF16) for (int i = 0; i < n; i++) v[i] = Bf16.toFloat(raw[i]);
                else for (int i = 0; i < n; i++) v[i] = Float.float16ToFloat(raw[i]);
                yield Tensor.of(v, device, e.shape);
            }
            case I32 -> {
                int[] v = new int[n];
                MemorySegment.copy(src, I32_LE, 0, v, 0, n);
                yield Tensor.ofInts(v, device, e.shape);
            }
        };
    }

    // ---- writing --------------------------------------------------------------------------------------------

    /** Writes the tensors (F32 and I32 as they are) and metadata (may be null), atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, false);
    }

    /** As {@link #write(Path, Map, Map)}; with bf16, floating tensors are stored as BF16 rounded to nearest even. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, boolean bf16) throws IOException {
        LinkedHashMap<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long at = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException(file + ": '__metadata__' is not a tensor name");
            Tensor t = e.getValue();
            DType dt = t.dtype() == DType.I32 ? DType.I32 : bf16 ? DType.BF16 : DType.F32;
            long bytes = t.numel() * dt.bytes();
            LinkedHashMap<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", dt.name());
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {at, at + bytes});
            header.put(e.getKey(), entry);
            at += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        // Pad the header with spaces so the data starts 8-byte aligned.
        int padded = (json.length + 7) / 8 * 8;
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) out.write(' ');
            for (Tensor t : tensors.values()) writeData(out, t, bf16);
        });
    }

    private static void writeData(OutputStream out, Tensor t, boolean bf16) throws IOException {
        if (t.dtype() == DType.I32) {
            int[] v = t.toIntArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(v);
            out.write(b.array());
        } else if (bf16) {
            float[] v = t.toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putShort(Bf16.fromFloat(x));
            out.write(b.array());
        } else {
            float[] v = t.toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            out.write(b.array());
        }
    }

    private static IOException bad(Path file, String what) {
        return new IOException(file + ": not a valid safetensors file: " + what);
    }
}
