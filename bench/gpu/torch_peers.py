"""PyTorch peers of CudaMicrobench's cases, on the same GPU in the same first-contact run: GEMM (torch.matmul,
bf16) and the memory-bound ops (layer_norm, cross_entropy, a fused AdamW step, a copy) at the same shapes,
timed with CUDA events. Writes OUT/torch_peers.tsv with the columns of microbench.tsv.

    python bench/gpu/torch_peers.py --out OUT_DIR
"""
import argparse
import os

import torch
import torch.nn.functional as F

from attention_bench import time_ms  # CUDA-event timing, shared with the SDPA benchmark


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.environ.get("OUT", "torch-peers"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bf16, dev = torch.bfloat16, "cuda"
    rows = []

    def record(name, shape, ms, nbytes, flops):
        rows.append(f"{name}\t{shape}\t{ms:.4f}\t{nbytes / ms / 1e6:.1f}\t{flops / ms / 1e9:.2f}")
        print(rows[-1])

    n = 64 << 20
    src, dst = torch.empty(n, device=dev), torch.empty(n, device=dev)
    record("torch copy_", f"{n} f32", time_ms(lambda: dst.copy_(src)), 8.0 * n, 0)
    for r, c in ((8 * 1024, 768), (8 * 1024, 1600)):
        x = torch.randn(r, c, device=dev, dtype=bf16)
        w, b = torch.randn(c, device=dev, dtype=bf16), torch.randn(c, device=dev, dtype=bf16)
        record("torch layer_norm forward", f"{r}x{c} bf16", time_ms(lambda: F.layer_norm(x, (c,), w, b)), 4.0 * r * c, 0)
    p = torch.zeros(124_000_000, device=dev, requires_grad=True)
    p.grad = torch.randn_like(p)
    opt = torch.optim.AdamW([p], lr=1e-4, fused=True)
    record("torch AdamW fused f32", f"{p.numel()} params", time_ms(opt.step), 28.0 * p.numel(), 0)
    r, v = 4 * 1024, 50257
    logits, targets = torch.randn(r, v, device=dev, dtype=bf16), torch.randint(0, v, (r,), device=dev)
    record("torch cross_entropy forward", f"{r}x{v} bf16", time_ms(lambda: F.cross_entropy(logits, targets)), 2.0 * r * v, 0)
    for m, nn, k in ((4096, 4096, 4096), (8 * 1024, 3072, 768)):
        a, b = torch.randn(m, k, device=dev, dtype=bf16), torch.randn(k, nn, device=dev, dtype=bf16)
        record("torch matmul", f"{m}x{nn}x{k} bf16", time_ms(lambda: a @ b), 2.0 * (m * k + k * nn + m * nn), 2.0 * m * nn * k)
    with open(os.path.join(args.out, "torch_peers.tsv"), "w") as f:
        f.write("name\tshape\tms\tGB/s\tTFLOP/s\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
