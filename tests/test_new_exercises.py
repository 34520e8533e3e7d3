"""Exercises 05 and 08: the references agree with independent computations, and the verifiers of the
open-ended tasks accept every correct answer and reject wrong ones with a message that says why."""

from __future__ import annotations

import numpy as np
import pytest

from nncourse.chapters import ch05_pytorch_mlp as C5
from nncourse.chapters import ch08_depth_width as C8
from nncourse.checks import get_exercise, run_task
from nncourse.exercises import ex08_depth_width as E8


def _numpy_forward(X: np.ndarray, state: dict[str, np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    hs, h = [X], X
    n = len(state) // 2
    for i in range(n):
        h = h @ state[f"{2 * i}.weight"].T + state[f"{2 * i}.bias"]
        if i < n - 1:
            h = np.maximum(h, 0.0)
        hs.append(h)
    return hs, h


def test_mlp_logits_is_the_numpy_forward_in_torch_layout():
    rng = np.random.default_rng(0)
    state = C5.initial_state([3, 7, 5, 2], seed=1)
    X = rng.normal(size=(6, 3))
    assert state["0.weight"].shape == (7, 3) and state["4.weight"].shape == (2, 5)
    np.testing.assert_allclose(C5.mlp_logits(X, state), _numpy_forward(X, state)[1], rtol=1e-12)


def test_train_step_is_one_hand_written_sgd_step_and_leaves_the_state_alone():
    rng = np.random.default_rng(2)
    state = C5.initial_state([2, 4, 3], seed=0)
    before = {k: v.copy() for k, v in state.items()}
    X, y, lr = rng.normal(size=(5, 2)), np.array([0, 2, 1, 2, 0]), 0.3
    new = C5.train_step(X, y, state, lr)
    (x0, h1, z), W2 = _numpy_forward(X, state)[0], state["2.weight"]
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz = (p - np.eye(3)[y]) / len(y)  # (N, C)
    dh = (dz @ W2) * (h1 > 0)  # (N, H)
    expected = {"0.weight": dh.T @ x0, "0.bias": dh.sum(0), "2.weight": dz.T @ h1, "2.bias": dz.sum(0)}
    for name, grad in expected.items():
        np.testing.assert_allclose(new[name], state[name] - lr * grad, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(state[name], before[name])


def test_choose_learning_rate_accepts_any_rate_that_meets_the_target_and_explains_a_miss():
    task = get_exercise("05_pytorch_mlp").task("choose_learning_rate")
    case = task.public_cases()[0]
    assert task.check_one(case, 1.0) is None and task.check_one(case, 2.0) is None  # two different correct answers
    assert "the loss ends at" in task.check_one(case, 1e-3)  # creeps
    assert "must lie between 0.001 and 10" in task.check_one(case, 1e6)  # on this start a huge rate fits XOR by luck
    assert "positive number" in task.check_one(case, -1.0)
    assert "positive number" in task.check_one(case, "fast")


def test_state_errors_name_the_missing_key():
    with pytest.raises(ValueError, match=r"'0.bias'"):
        C5.mlp_from_state({"0.weight": np.zeros((2, 2)), "2.weight": np.zeros((1, 2))})
    with pytest.raises(TypeError, match="state must be a non-empty dict"):
        C5.mlp_from_state([])


def test_count_parameters_matches_torch():
    from torch import nn

    sizes = [5, 9, 3, 4]
    net = nn.Sequential(nn.Linear(5, 9), nn.ReLU(), nn.Linear(9, 3), nn.ReLU(), nn.Linear(3, 4))
    assert E8.count_parameters(sizes) == sum(p.numel() for p in net.parameters()) == 54 + 30 + 16


def test_widest_within_budget_is_the_last_width_that_fits():
    for depth, budget in ((1, 100), (3, 1000), (5, 12345)):
        w = E8.widest_within_budget(depth, budget)
        assert C8.relu_net_1d_parameters(w, depth) <= budget < C8.relu_net_1d_parameters(w + 1, depth)
    assert E8.widest_within_budget(2, 3) == 0


def test_sawtooth_verifier_accepts_another_correct_network_and_rejects_wrong_ones():
    task = get_exercise("08_depth_width").task("sawtooth_state")
    case = task.public_cases()[2]  # k = 4
    k = case.args[0]
    state = E8.sawtooth_state(k)
    scaled = {name: value.copy() for name, value in state.items()}
    scaled["0.weight"] *= 2.0  # units compute 2 relu(x) and 2 relu(-x) ...
    scaled["2.weight"] /= 2.0  # ... and the next layer reads them at half weight: the same function
    assert task.check_one(case, scaled) is None
    wrong = {name: value.copy() for name, value in state.items()}
    wrong[f"{2 * k}.bias"] = np.array([0.5])
    assert "the network gives" in task.check_one(case, wrong)
    wide = dict(state, **{"0.weight": np.ones((3, 1)), "0.bias": np.zeros(3)})
    assert "at most 2 units" in task.check_one(case, wide)
    assert "needs the keys" in task.check_one(case, {"0.weight": np.ones((2, 1))})


@pytest.mark.parametrize("stem", ["05_pytorch_mlp", "08_depth_width"])
def test_every_task_has_a_reasoning_part_and_rejects_a_constant_answer(stem: str):
    exercise = get_exercise(stem)
    assert any("verify" in repr(task.verify) or task.verify is not None for task in exercise.tasks)
    for task in exercise.tasks:
        assert not run_task(task, lambda *args, **kwargs: 0, task.grading_cases()).passed
