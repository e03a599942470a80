#!/usr/bin/env python3
"""A model folder written by instruct4j, used as a Hugging Face user would: AutoTokenizer and
AutoModelForCausalLM.from_pretrained, then greedy generation for each prompt of a JSONL file.

    python bench/gpu/hf_generate.py --model runs/demo/models/ppo-ptx --prompts docs/new-tasks.jsonl --out answers.jsonl

writes one {"prompt", "prompt_ids", "response"} per line, to set beside what
`instruct4j generate --greedy --model ... --prompts ...` answers for the same prompts: the same tokenizer files
and weights should give the same token ids and, greedy, the same responses (unless two tokens tie to rounding).
"""
import argparse
import json

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="an instruct4j model folder (kind lm)")
    ap.add_argument("--prompts", required=True, help='JSONL, one {"prompt": "..."} per line')
    ap.add_argument("--out", required=True, help="JSONL of the answers")
    ap.add_argument("--max-new", type=int, default=64, help="maximum new tokens (instruct4j generate's default)")
    a = ap.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(a.model)
    model, info = AutoModelForCausalLM.from_pretrained(a.model, output_loading_info=True)
    model.eval()
    print(f"{a.model}: {type(model).__name__}, {type(tokenizer).__name__}, vocab {len(tokenizer)}, "
          f"missing {info.get('missing_keys')}, unexpected {info.get('unexpected_keys')}")
    eos = model.config.eos_token_id
    with open(a.prompts) as f:
        prompts = [json.loads(line)["prompt"] for line in f if line.strip()]
    with open(a.out, "w") as out, torch.no_grad():
        for prompt in prompts:
            ids = tokenizer(prompt, return_tensors="pt").input_ids
            new = model.generate(ids, max_new_tokens=a.max_new, do_sample=False, eos_token_id=eos, pad_token_id=eos)
            response_ids = [t for t in new[0, ids.shape[1]:].tolist() if t != eos]
            response = tokenizer.decode(response_ids)
            out.write(json.dumps({"prompt": prompt, "prompt_ids": ids[0].tolist(), "response": response}) + "\n")
            print(repr(prompt[13:60]), "->", repr(response))


if __name__ == "__main__":
    main()
