#!/usr/bin/env python3
"""Per-kernel totals from `ncu --metrics gpu__time_duration.sum --print-summary per-kernel` output: kernels with the
same name are summed over their launch shapes and divided by the number of steps profiled.

    python bench/gpu/ncu_summary.py ncu.txt --steps 2 [--top 25]
"""
import argparse
import re

UNITS = {"ns": 1e-6, "nsecond": 1e-6, "us": 1e-3, "usecond": 1e-3, "ms": 1.0, "msecond": 1.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("--steps", type=int, default=1, help="how many training steps the profile covers")
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    kernel, totals = None, {}
    for line in open(a.log, errors="replace"):
        if re.match(r"^\s{2}\S.*Invocations \d+", line):
            kernel = line.strip()
        elif "gpu__time_duration.sum" in line and kernel:
            parts = line.split()
            mean_ms = float(parts[4].replace(",", "")) * UNITS[parts[1]]
            calls = int(re.search(r"Invocations (\d+)", kernel).group(1))
            name = kernel.split(" (")[0]
            t = totals.setdefault(name, [0, 0.0])
            t[0] += calls
            t[1] += calls * mean_ms
    busy = sum(t[1] for t in totals.values()) / a.steps
    launches = sum(t[0] for t in totals.values()) / a.steps
    print(f"GPU busy {busy:.1f} ms a step, {launches:.0f} kernels a step")
    print("ms/step\tcalls/step\tkernel")
    for name, (calls, ms) in sorted(totals.items(), key=lambda kv: -kv[1][1])[: a.top]:
        print(f"{ms / a.steps:.2f}\t{calls / a.steps:.0f}\t{name}")


if __name__ == "__main__":
    main()
