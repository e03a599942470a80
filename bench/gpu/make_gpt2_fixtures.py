#!/usr/bin/env python3
"""Golden fixtures for instruct4j's Hugging Face GPT-2 interoperability (engine test PretrainedFixtureTest).

Needs torch and transformers (no GPU needed; everything runs on the CPU in a few seconds).

    python bench/gpu/make_gpt2_fixtures.py --out engine/src/test/resources/hf-gpt2-tiny

builds a tiny random GPT-2 with transformers, saves it with save_pretrained(safe_serialization=True), once in
float32 (OUT/) and once in bfloat16 (OUT/bf16/), and writes OUT/fixture.json: fixed input ids, the logits and
the loss transformers computes for them (in float64, from exactly the saved weights), and a left-padded row.

The vocabulary is 256 (not GPT-2's 50257: that embedding alone would be 6 MB at n_embd 32), so the inputs are
fixed token ids rather than text.

    python bench/gpu/make_gpt2_fixtures.py --verify engine/target/hf-gpt2-tiny-resaved \\
        --fixture engine/src/test/resources/hf-gpt2-tiny

checks the other direction: the folder instruct4j's Pretrained.save wrote (PretrainedFixtureTest writes it
after loading the fixture) loads with GPT2LMHeadModel.from_pretrained and gives the fixture's logits.
"""
import argparse
import json
import os
import sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel
import transformers

CONFIG = dict(
    vocab_size=256,
    n_positions=32,
    n_embd=32,
    n_layer=2,
    n_head=2,
    activation_function="gelu_new",
    layer_norm_epsilon=1e-5,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    bos_token_id=255,
    eos_token_id=255,
)

# Two rows of ten fixed token ids, spread over the vocabulary.
INPUT_IDS = [
    [17, 200, 3, 3, 99, 255, 0, 42, 128, 7],
    [250, 1, 64, 65, 66, 13, 180, 9, 222, 31],
]
# A left-padded row: PAD_LEFT pad tokens (id 0, masked out), then the first real tokens of row 0. Positions
# count from the first real token, as generate() does (position_ids = cumsum(mask) - 1, 0 on the padding).
PAD_LEFT = 3
PADDED_IDS = [[0] * PAD_LEFT + INPUT_IDS[0][: len(INPUT_IDS[0]) - PAD_LEFT]]


def build(seed):
    """A GPT-2 with bigger-than-init random values everywhere (biases and LayerNorms too), so every path matters."""
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(**CONFIG))
    with torch.no_grad():
        for name, p in model.named_parameters():  # lm_head is tied to wte and not listed twice
            noise = 0.2 * torch.randn_like(p)
            p.copy_(1 + noise if ("ln_" in name and name.endswith("weight")) else noise)
    return model.eval()


def outputs(model):
    """Logits and loss in float64 for INPUT_IDS, and logits of the padded row."""
    m = model.to(torch.float64)
    ids = torch.tensor(INPUT_IDS)
    with torch.no_grad():
        out = m(input_ids=ids, labels=ids)  # transformers shifts the labels: mean over B * (T - 1) predictions
        pad_ids = torch.tensor(PADDED_IDS)
        mask = (torch.arange(pad_ids.shape[1]) >= PAD_LEFT).long().unsqueeze(0)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        padded = m(input_ids=pad_ids, attention_mask=mask, position_ids=positions).logits
    return {
        "logits": out.logits.tolist(),
        "loss": out.loss.item(),
        # only the real positions: what padding queries get is not defined (and may be NaN with some kernels)
        "padded_logits": padded[:, PAD_LEFT:].tolist(),
    }


def make(out_dir, seed):
    os.makedirs(out_dir, exist_ok=True)
    model = build(seed)
    model.save_pretrained(out_dir, safe_serialization=True)
    fixture = {
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "seed": seed,
        "config": CONFIG,
        "input_ids": INPUT_IDS,
        "padded_input_ids": PADDED_IDS,
        "pad_left": PAD_LEFT,
    }
    fixture["f32"] = outputs(model)
    # The same model stored in bfloat16; its reference outputs come from the rounded weights.
    bf16 = build(seed).to(torch.bfloat16)  # the same seed: the same weights, rounded
    bf16_dir = os.path.join(out_dir, "bf16")
    bf16.save_pretrained(bf16_dir, safe_serialization=True)
    fixture["bf16"] = outputs(bf16)
    with open(os.path.join(out_dir, "fixture.json"), "w") as f:
        json.dump(fixture, f)
    files = sorted(os.path.relpath(os.path.join(d, n), out_dir) for d, _, ns in os.walk(out_dir) for n in ns)
    size = sum(os.path.getsize(os.path.join(out_dir, n)) for n in files)
    print(f"wrote {out_dir}: {files} ({size / 1024:.0f} KiB), loss {fixture['f32']['loss']:.6f}")


def relative_error(a, b):
    a, b = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    return ((a - b).norm() / b.norm()).item()


def verify(folder, fixture_dir):
    """The folder instruct4j wrote loads in transformers as the fixture's model."""
    with open(os.path.join(fixture_dir, "fixture.json")) as f:
        fixture = json.load(f)
    model, info = GPT2LMHeadModel.from_pretrained(folder, output_loading_info=True)
    problems = []
    if info.get("missing_keys"):
        problems.append(f"missing keys: {info['missing_keys']}")
    unexpected = [k for k in info.get("unexpected_keys", []) if not k.startswith("score.")]
    if unexpected:
        problems.append(f"unexpected keys: {unexpected}")
    got = outputs(model.eval())
    err = relative_error(got["logits"], fixture["f32"]["logits"])
    loss_diff = abs(got["loss"] - fixture["f32"]["loss"])
    print(f"{folder}: logits relative error {err:.3g}, loss {got['loss']:.6f} vs {fixture['f32']['loss']:.6f}")
    # instruct4j re-saves the weights it read bit for bit (F32), so the float64 outputs agree to rounding.
    if err > 1e-9:
        problems.append(f"logits differ from the fixture by {err:.3g} (relative, by norm)")
    if loss_diff > 1e-9:
        problems.append(f"loss differs from the fixture by {loss_diff:.3g}")
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="folder for the fixture (engine/src/test/resources/hf-gpt2-tiny)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--verify", help="a folder written by instruct4j's Pretrained.save, to load in transformers")
    ap.add_argument("--fixture", help="with --verify: the fixture folder whose fixture.json to compare with")
    a = ap.parse_args()
    if a.verify:
        if not a.fixture:
            ap.error("--verify needs --fixture")
        sys.exit(verify(a.verify, a.fixture))
    if not a.out:
        ap.error("give --out FOLDER (or --verify FOLDER --fixture FOLDER)")
    make(a.out, a.seed)


if __name__ == "__main__":
    main()
