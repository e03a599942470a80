"""PyTorch SDPA baseline for causal attention, and an oracle dump for the instruct4j GPU kernels.

Run on the GPU machine (needs PyTorch with CUDA):
    python bench/gpu/attention_bench.py --out OUT_DIR

1. Timings: scaled_dot_product_attention(is_causal=True) in bf16, forward and forward+backward, at the shapes
   of docs/KERNELS-ATTENTION.md. FLOPs are counted as flash attention counts them: forward 4*B*H*V*D with
   V = T*(T+1)/2 visible pairs, backward 2.5x the forward.
2. Oracle: random q, k, v, dout (fixed seed) and, computed in float64 on the GPU from the bf16-rounded inputs,
   out, lse, dq, dk, dv; written as raw little-endian .bin files (float32; inputs also as bf16 bits) plus a
   manifest.json with the shapes, so a Java test can load them with no NumPy.
"""
import argparse
import json
import math
import os

import torch
import torch.nn.functional as F

SHAPES = [(8, 12, 1024, 64), (4, 16, 2048, 128)]
ORACLE_CASES = [  # name, B, H, Tq, Tk, D, start offsets (left padding) or None
    ("small_d64", 2, 3, 77, 77, 64, [0, 5]),
    ("decode_d64", 2, 2, 1, 300, 64, [0, 40]),
    ("prefix_d128", 1, 2, 100, 260, 128, None),
]


def causal_flops(b, h, t, d):
    visible = t * (t + 1) / 2
    return 4.0 * b * h * visible * d


def time_ms(fn, iters=20, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    begin.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return begin.elapsed_time(end) / iters


def bench():
    rows = []
    for b, h, t, d in SHAPES:
        q, k, v = (torch.randn(b, h, t, d, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
        dout = torch.randn_like(q)
        fwd = time_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))

        def fwd_bwd():
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            out.backward(dout)

        both = time_ms(fwd_bwd)
        flops = causal_flops(b, h, t, d)
        row = {"B": b, "H": h, "T": t, "D": d, "fwd_ms": fwd, "fwd_tflops": flops / fwd / 1e9,
               "fwd_bwd_ms": both, "fwd_bwd_tflops": 3.5 * flops / both / 1e9}
        rows.append(row)
        print(f"B={b} H={h} T={t} D={d}: forward {fwd:.3f} ms {row['fwd_tflops']:.1f} TFLOP/s, "
              f"forward+backward {both:.3f} ms {row['fwd_bwd_tflops']:.1f} TFLOP/s")
    return rows


def reference(q, k, v, dout, start, scale):
    """float64 causal attention with left padding, the semantics of Backend.attention; returns out, lse, grads."""
    b, h, tq, d = q.shape
    tk = k.shape[2]
    q, k, v = (x.double().detach().requires_grad_(True) for x in (q, k, v))
    i = torch.arange(tq, device=q.device).view(tq, 1)
    j = torch.arange(tk, device=q.device).view(1, tk)
    s0 = torch.tensor(start if start else [0] * b, device=q.device).view(b, 1, 1, 1)
    visible = (j <= tk - tq + i).view(1, 1, tq, tk) & (j.view(1, 1, 1, tk) >= s0)
    s = (q @ k.transpose(-1, -2)) * scale
    s = s.masked_fill(~visible, -1e30)  # finite, so rows that see nothing give no NaN in the backward
    lse = torch.logsumexp(s, dim=-1)
    p = torch.exp(s - lse.unsqueeze(-1)) * visible  # rows that see nothing: p = 0, out = 0
    out = p @ v
    lse = lse.masked_fill(~visible.any(dim=-1), float("-inf"))
    out.backward(dout.double())
    return out.detach(), lse.detach(), q.grad, k.grad, v.grad


def write_bin(path, tensor):
    tensor.detach().contiguous().cpu().numpy().tofile(path)


def dump_oracle(out_dir):
    gen = torch.Generator(device="cuda").manual_seed(1234)
    manifest = []
    for name, b, h, tq, tk, d, start in ORACLE_CASES:
        q = torch.randn(b, h, tq, d, device="cuda", generator=gen).bfloat16()
        k = torch.randn(b, h, tk, d, device="cuda", generator=gen).bfloat16()
        v = torch.randn(b, h, tk, d, device="cuda", generator=gen).bfloat16()
        dout = torch.randn(b, h, tq, d, device="cuda", generator=gen).bfloat16()
        scale = 1.0 / math.sqrt(d)
        out, lse, dq, dk, dv = reference(q, k, v, dout, start, scale)
        tensors = {"q": q, "k": k, "v": v, "dout": dout, "out": out, "lse": lse, "dq": dq, "dk": dk, "dv": dv}
        for key, t in tensors.items():
            write_bin(os.path.join(out_dir, f"{name}.{key}.f32.bin"), t.float())
        for key in ("q", "k", "v", "dout"):
            write_bin(os.path.join(out_dir, f"{name}.{key}.bf16.bin"), tensors[key].view(torch.int16))
        manifest.append({"name": name, "B": b, "H": h, "Tq": tq, "Tk": tk, "D": d, "start": start, "scale": scale,
                         "seed": 1234, "files": "<name>.<tensor>.f32.bin (float32 LE), inputs also .bf16.bin"})
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.environ.get("OUT", "attention-oracle"))
    ap.add_argument("--no-bench", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}")
    if not args.no_bench:
        with open(os.path.join(args.out, "sdpa_bench.json"), "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": bench()}, f, indent=1)
    dump_oracle(args.out)
    print(f"oracle written to {args.out}")


if __name__ == "__main__":
    main()
