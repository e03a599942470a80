#!/usr/bin/env python3
"""GPT-2 124M training steps in PyTorch, the peer of instruct4j's CudaTrainStep: transformers' GPT2LMHeadModel
(its default attention, SDPA where there is a GPU; dropout off), random token ids, forward, mean cross-entropy, backward, global-norm clipping at 1,
fused AdamW (lr 3e-4, weight decay 0.1). Timed on the host up to the loss read back, median over the timed steps.

    python bench/gpu/torch_gpt2_train.py [--batch 8] [--seq 1024] [--steps 10] [--warmup 3] [--out DIR]

Two precisions: f32 with TF32 off (what CudaTrainStep runs) and bf16 autocast (F32 weights), for context.
Writes DIR/torch_gpt2_train.tsv when --out is given.
"""
import argparse
import os
import statistics
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def run(precision, batch, seq, steps, warmup):
    torch.manual_seed(1)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    config = GPT2Config(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config).cuda().train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1, fused=True)
    tokens = torch.randint(0, config.vocab_size, (batch, seq + 1), device="cuda")
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    times, losses = [], []
    for s in range(warmup + steps):
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = model(inputs).logits
        loss = torch.nn.functional.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if s >= warmup:
            times.append(time.perf_counter() - t0)
    ms = statistics.median(times) * 1e3
    return ms, batch * seq / (ms / 1e3), losses[0], losses[-1], model.config._attn_implementation


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out")
    a = ap.parse_args()
    rows = []
    for precision in ("f32", "bf16"):
        ms, tps, first, last, attention = run(precision, a.batch, a.seq, a.steps, a.warmup)
        row = (f"torch gpt2-124M {precision} train step ({attention} attention)\tB{a.batch} T{a.seq}\t{ms:.2f} ms"
               f"\t{tps:.0f} tokens/s\tloss {first:.4f} -> {last:.4f}")
        print(row, flush=True)
        rows.append(row)
    if a.out:
        with open(os.path.join(a.out, "torch_gpt2_train.tsv"), "w") as f:
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
