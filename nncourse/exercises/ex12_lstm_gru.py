"""Exercise 12: LSTM and GRU. The LSTM cell's forward and backward on plain arrays (torch's gate order
i, f, g, o), and a reasoning task: the parameter count of a stacked ``torch.nn.LSTM``."""

from __future__ import annotations

import numpy as np

from nncourse.chapters import ch12_lstm_gru as ref
from nncourse.checks import Case, Exercise, Task

EXERCISE_ID = "12_lstm_gru"


def _cell_args(rng: np.random.Generator, n: int, d: int, hid: int, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    return (
        rng.normal(size=(n, d)),
        rng.normal(size=(n, hid)),
        rng.normal(size=(n, hid)),
        scale * rng.normal(size=(4 * hid, d)) / np.sqrt(d),
        scale * rng.normal(size=(4 * hid, hid)) / np.sqrt(hid),
        rng.normal(size=4 * hid) * 0.5,
        rng.normal(size=4 * hid) * 0.5,
    )


def _gate_probe(hid: int, gate: int) -> tuple[np.ndarray, ...]:
    """Zero weights and a bias that opens one gate: the output shows which gate sits where."""
    x, h, c = np.ones((1, 2)), np.full((1, hid), 0.5), np.full((1, hid), 2.0)
    b_ih = np.full(4 * hid, -4.0)
    b_ih[2 * hid : 3 * hid] = 1.0  # g = tanh(1)
    b_ih[gate * hid : (gate + 1) * hid] = 4.0
    return x, h, c, np.zeros((4 * hid, 2)), np.zeros((4 * hid, hid)), b_ih, np.zeros(4 * hid)


def _forward_cases(seed: int, shapes: tuple[tuple[int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = [
        Case(
            "only the forget gate open",
            _gate_probe(3, 1),
            hint="rows are stacked i, f, g, o: rows H..2H are the forget gate, which multiplies the old cell c",
        ),
        Case(
            "only the output gate open",
            _gate_probe(2, 3),
            hint="h' = o * tanh(c'): the output gate multiplies tanh of the NEW cell state",
        ),
        Case(
            "batch of one",
            _cell_args(rng, 1, 3, 2),
            hint="g (rows 2H..3H) uses tanh; i, f and o use the sigmoid; add both biases",
        ),
    ]
    for n, d, hid in shapes:
        cases.append(Case(f"N={n}, D={d}, H={hid}", _cell_args(rng, n, d, hid, scale=2.0)))
    return cases


def _backward_cases(seed: int, shapes: tuple[tuple[int, int, int], ...]) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for k, (n, d, hid) in enumerate(shapes):
        args = _cell_args(rng, n, d, hid, scale=1.5)
        dh1, dc1 = rng.normal(size=(n, hid)), rng.normal(size=(n, hid))
        if k == 0:
            cases.append(
                Case(
                    "only dL/dh' (dc' = 0)",
                    (dh1, np.zeros_like(dc1), *args),
                    hint="h' = o tanh(c') also reaches c': dc' gets dh' * o * (1 - tanh(c')^2) even when dc' = 0",
                )
            )
            cases.append(
                Case(
                    "only dL/dc' (dh' = 0)",
                    (np.zeros_like(dh1), dc1, *args),
                    hint="dc (the old cell) = dc' * f; the output gate gets no gradient when dh' = 0",
                )
            )
        cases.append(Case(f"N={n}, D={d}, H={hid}", (dh1, dc1, *args)))
    return cases


def _count_cases(seed: int, n: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = [
        Case(
            "one layer, input 1, hidden 1",
            (1, 1, 1),
            hint="4 gates x (1 input weight + 1 recurrent weight + 2 biases) = 16",
        ),
        Case(
            "two layers",
            (10, 20, 2),
            hint="the second layer's input is the first layer's hidden state: its input size is H, not input_size",
        ),
    ]
    for _ in range(n):
        d, hid, layers = (int(v) for v in (rng.integers(1, 300), rng.integers(1, 300), rng.integers(1, 5)))
        cases.append(Case(f"input {d}, hidden {hid}, {layers} layers", (d, hid, layers)))
    return cases


EXERCISE = Exercise(
    id=EXERCISE_ID,
    title="LSTM and GRU",
    tasks=[
        Task(
            "lstm_cell_forward",
            ref.lstm_cell,
            lambda: _forward_cases(0, ((4, 3, 5),)),
            lambda: _forward_cases(120, ((6, 2, 3), (2, 7, 4))),
            points=2,
            outputs=("h_new", "c_new"),
        ),
        Task(
            "lstm_cell_backward",
            ref.lstm_cell_grads,
            lambda: _backward_cases(1, ((3, 4, 2), (5, 2, 3))),
            lambda: _backward_cases(121, ((2, 3, 4), (6, 5, 2), (1, 2, 3))),
            points=3,
            outputs=("dx", "dh", "dc", "dW_ih", "dW_hh", "db"),
        ),
        Task(
            "lstm_parameter_count", ref.lstm_parameter_count, lambda: _count_cases(2, 2), lambda: _count_cases(122, 4)
        ),
    ],
)
