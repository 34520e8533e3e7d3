"""Character language model on the standard library's source: bits per character, parameters, CPU seconds.

    python benchmarks/char_lm.py [--steps 250] [--cells lstm,gru]

Trains ``nncourse.models.rnn.CharLM`` exactly as notebook 12 does (embedding 32, 128 units, Adam at
1e-2, 64-character windows, 32 per step, one thread) and prints its validation bits per character
next to the unigram and bigram baselines on the same split (``nncourse.data.text``: split by file).
The CPU seconds are this process's, training and validation included; part V's Transformer is
compared with this table.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nncourse.data.text import load_char_corpus, ngram_bits_per_char  # noqa: E402
from nncourse.models.rnn import train_char_lm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--cells", default="lstm,gru")
    args = parser.parse_args()
    torch.set_num_threads(1)
    corpus = load_char_corpus()
    tr, va = corpus.encode(corpus.train), corpus.encode(corpus.valid)
    print(f"corpus: {len(tr):,} training / {len(va):,} validation characters, vocabulary {corpus.vocab_size}")
    print(f"{'model':28s} {'valid bpc':>9s} {'params':>9s} {'CPU s':>7s}")
    print(f"{'uniform':28s} {np.log2(corpus.vocab_size):9.3f} {0:9d} {'-':>7s}")
    for order, name in ((1, "unigram"), (2, "bigram")):
        print(f"{name:28s} {ngram_bits_per_char(tr, va, corpus.vocab_size, order):9.3f} {'-':>9s} {'-':>7s}")
    for cell in args.cells.split(","):
        r = train_char_lm(tr, va, corpus.vocab_size, cell=cell, hidden_size=128, steps=args.steps, lr=1e-2, seed=0)
        print(
            f"{f'{cell.upper()} 128, {args.steps} steps':28s} {r.valid_bpc:9.3f} {r.parameters:9,d} {r.cpu_seconds:7.1f}"
        )


if __name__ == "__main__":
    main()
