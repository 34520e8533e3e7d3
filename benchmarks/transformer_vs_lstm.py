"""Transformer vs LSTM character language models at the same CPU time: bits per character, parameters, CPU seconds.

    python benchmarks/transformer_vs_lstm.py [--lstm-steps 250] [--multiples 1,2,4] [--equal-steps 2000]

The LSTM trains exactly as in notebook 12 (``train_char_lm``: 128 units, Adam at 1e-2, 250 steps of
32 windows of 64 characters); its CPU seconds are the budget. The Transformer (``train_transformer_lm``:
d_model 64, 4 heads, 2 layers, d_ff 256, AdamW at 1e-2 with warm-up + cosine) gets as many steps as
fit in ``multiple`` times that budget (``ch14_transformer.train_for_budget``: calibrated on two short
runs, validation included; the budget is also enforced).
Both are scored on the same validation split; the LSTM also on 64-character windows (the
Transformer's context), so neither has more context than the other. ``--equal-steps N`` adds both
models trained for the same number of steps N (about two minutes of CPU for N = 2000). One thread.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402 - after the thread settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.chapters.ch14_transformer import train_for_budget  # noqa: E402
from nncourse.data.text import char_windows, load_char_corpus  # noqa: E402
from nncourse.models.rnn import bits_per_char, train_char_lm  # noqa: E402
from nncourse.models.transformer import train_transformer_lm  # noqa: E402

TFM = {"d_model": 64, "n_heads": 4, "n_layers": 2, "d_ff": 256, "lr": 1e-2, "seq_len": 64, "seed": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lstm-steps", type=int, default=250)
    parser.add_argument("--multiples", default="1,2,4", help="Transformer budgets, in multiples of the LSTM's CPU time")
    parser.add_argument("--equal-steps", type=int, default=0, help="also train both for this many steps (0: skip)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    corpus = load_char_corpus()
    tr, va = corpus.encode(corpus.train), corpus.encode(corpus.valid)
    lstm = train_char_lm(
        tr, va, corpus.vocab_size, cell="lstm", hidden_size=128, steps=args.lstm_steps, lr=1e-2, seed=0
    )
    lstm64 = bits_per_char(lstm.model, *char_windows(va, 64))
    budget = lstm.cpu_seconds
    print(f"corpus: {len(tr):,} training / {len(va):,} validation characters, vocabulary {corpus.vocab_size}")
    print(f"{'model':34s} {'steps':>6s} {'valid bpc':>9s} {'bpc@64':>7s} {'params':>9s} {'CPU s':>7s}")
    print(
        f"{'LSTM 128':34s} {args.lstm_steps:6d} {lstm.valid_bpc:9.3f} {lstm64:7.3f} {lstm.parameters:9,d} {budget:7.1f}"
    )
    for multiple in (float(m) for m in args.multiples.split(",")):
        r = train_for_budget(tr, va, corpus.vocab_size, multiple * budget, **TFM)
        name = f"Transformer 64x2, {multiple:g}x LSTM time"
        print(f"{name:34s} {r.steps:6d} {r.valid_bpc:9.3f} {r.valid_bpc:7.3f} {r.parameters:9,d} {r.cpu_seconds:7.1f}")
    if args.equal_steps:
        n = args.equal_steps
        long_lstm = train_char_lm(tr, va, corpus.vocab_size, cell="lstm", hidden_size=128, steps=n, lr=1e-2, seed=0)
        at64 = bits_per_char(long_lstm.model, *char_windows(va, 64))
        print(
            f"{'LSTM 128, equal steps':34s} {n:6d} {long_lstm.valid_bpc:9.3f} {at64:7.3f} "
            f"{long_lstm.parameters:9,d} {long_lstm.cpu_seconds:7.1f}"
        )
        r = train_transformer_lm(tr, va, corpus.vocab_size, steps=n, **TFM)
        print(
            f"{'Transformer 64x2, equal steps':34s} {n:6d} {r.valid_bpc:9.3f} {r.valid_bpc:7.3f} "
            f"{r.parameters:9,d} {r.cpu_seconds:7.1f}"
        )


if __name__ == "__main__":
    main()
