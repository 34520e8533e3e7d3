"""Chapter 06: the numpy optimizers and schedules against their torch.optim twins."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
import torch

from nncourse.optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LinearLR,
    RMSprop,
    StepLR,
    warmup_cosine,
)

STEPS = 100
TOL = 1e-8


# ---------------------------------------------------------------------------- a shared problem
def make_problem(seed: int = 0) -> tuple[dict[str, np.ndarray], torch.Tensor, torch.Tensor]:
    """Two-layer regression: y_hat = tanh(X W1 + b1) W2 + c, with params of shapes (5,4), (4,), (4,2), (1,)."""
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(0, 0.5, (5, 4)),
        "b1": rng.normal(0, 0.1, (4,)),
        "W2": rng.normal(0, 0.5, (4, 2)),
        "c": np.array([0.3]),
    }
    X = torch.tensor(rng.normal(size=(16, 5)), dtype=torch.float64)
    Y = torch.tensor(rng.normal(size=(16, 2)) + 2.0, dtype=torch.float64)
    return params, X, Y


def loss_fn(t: dict[str, torch.Tensor], X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    h = torch.tanh(X @ t["W1"] + t["b1"])
    return ((h @ t["W2"] + t["c"] - Y) ** 2).mean()


def run_both(
    ours: Any,
    theirs_factory: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    steps: int = STEPS,
    seed: int = 0,
    scheds: tuple[Callable[[Any], Any], Callable[[Any], Any]] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, torch.Tensor], list[float]]:
    """Run our optimizer on numpy copies and torch's on tensors; grads from torch at torch's params, fed to both."""
    params, X, Y = make_problem(seed)
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    topt = theirs_factory(list(tparams.values()))
    ours_s = theirs_s = None
    if scheds is not None:
        ours_s, theirs_s = scheds[0](ours), scheds[1](topt)
    losses = []
    for _ in range(steps):
        topt.zero_grad()
        loss = loss_fn(tparams, X, Y)
        loss.backward()
        losses.append(loss.item())
        grads = {k: t.grad.detach().numpy().copy() for k, t in tparams.items()}
        ours.step(params, grads)
        topt.step()
        if ours_s is not None:
            ours_s.step()
            theirs_s.step()
    return params, tparams, losses


def max_diff(params: dict[str, np.ndarray], tparams: dict[str, torch.Tensor]) -> float:
    return max(float(np.max(np.abs(params[k] - tparams[k].detach().numpy()))) for k in params)


def assert_matches(ours: Any, theirs_factory: Callable[..., torch.optim.Optimizer]) -> dict[str, np.ndarray]:
    params, tparams, losses = run_both(ours, theirs_factory)
    assert max_diff(params, tparams) <= TOL
    assert losses[-1] < losses[0]  # the problem actually trained, so the comparison is not vacuous
    return params


# ---------------------------------------------------------------------------- parity with torch.optim
SGD_GRID = [
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.02, momentum=0.9),
    dict(lr=0.02, momentum=0.9, dampening=0.5),
    dict(lr=0.02, momentum=0.9, nesterov=True),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.05),
    dict(lr=0.02, momentum=0.9, dampening=0.1, weight_decay=0.01),
]


@pytest.mark.parametrize("hp", SGD_GRID, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_sgd_matches_torch(hp: dict[str, Any]) -> None:
    assert_matches(SGD(**hp), lambda ps: torch.optim.SGD(ps, **hp))


RMSPROP_GRID = [
    dict(lr=0.01),
    dict(lr=0.005, alpha=0.9, eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.002, momentum=0.9),
    dict(lr=0.005, centered=True),
    dict(lr=0.002, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.01),
]


@pytest.mark.parametrize("hp", RMSPROP_GRID, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_rmsprop_matches_torch(hp: dict[str, Any]) -> None:
    assert_matches(RMSprop(**hp), lambda ps: torch.optim.RMSprop(ps, **hp))


ADAM_GRID = [
    dict(lr=0.01),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, betas=(0.0, 0.5)),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.05, amsgrad=True),
]


@pytest.mark.parametrize("hp", ADAM_GRID, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_adam_matches_torch(hp: dict[str, Any]) -> None:
    assert_matches(Adam(**hp), lambda ps: torch.optim.Adam(ps, **hp))


ADAMW_GRID = [
    dict(lr=0.01),  # default weight_decay=1e-2 on both sides
    dict(lr=0.01, weight_decay=0.0),
    dict(lr=0.01, weight_decay=0.3),
    dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True),
]


@pytest.mark.parametrize("hp", ADAMW_GRID, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_adamw_matches_torch(hp: dict[str, Any]) -> None:
    assert_matches(AdamW(**hp), lambda ps: torch.optim.AdamW(ps, **hp))


def test_adam_l2_and_adamw_differ_but_each_matches_its_twin() -> None:
    hp = dict(lr=0.02, weight_decay=0.5)
    p_l2 = assert_matches(Adam(**hp), lambda ps: torch.optim.Adam(ps, **hp))
    p_w = assert_matches(AdamW(**hp), lambda ps: torch.optim.AdamW(ps, **hp))
    gap = max(float(np.max(np.abs(p_l2[k] - p_w[k]))) for k in p_l2)
    assert gap > 1e-3


def test_adamw_without_decay_equals_adam() -> None:
    p_adam, _, _ = run_both(Adam(lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01))
    p_adamw, _, _ = run_both(AdamW(lr=0.01, weight_decay=0.0), lambda ps: torch.optim.Adam(ps, lr=0.01))
    for k in p_adam:
        np.testing.assert_array_equal(p_adam[k], p_adamw[k])


def test_optimizer_follows_a_scheduled_lr_like_torch() -> None:
    ours = SGD(lr=0.05, momentum=0.9)
    params, tparams, _ = run_both(
        ours,
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
        scheds=(lambda o: StepLR(o, step_size=30, gamma=0.3),
                lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.3)),
    )
    assert max_diff(params, tparams) <= TOL
    assert ours.lr == pytest.approx(0.05 * 0.3**3)


# ---------------------------------------------------------------------------- behaviour of step
def test_plain_sgd_is_gradient_descent_in_place() -> None:
    p = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5])}
    g = {"w": np.array([[0.5, -1.0], [0.0, 2.0]]), "b": np.array([1.0])}
    w_obj, g_before = p["w"], {k: v.copy() for k, v in g.items()}
    SGD(lr=0.1).step(p, g)
    assert p["w"] is w_obj
    np.testing.assert_allclose(p["w"], [[0.95, 2.1], [3.0, 3.8]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(p["b"], [0.4], rtol=0, atol=1e-15)
    for k in g:  # gradients are read, never modified
        np.testing.assert_array_equal(g[k], g_before[k])


def test_state_is_kept_per_parameter_name() -> None:
    opt = Adam(lr=0.1)
    p = {"a": np.zeros(3), "b": np.zeros((2, 2))}
    opt.step(p, {"a": np.ones(3), "b": np.ones((2, 2))})
    opt.step({"a": p["a"]}, {"a": np.ones(3)})
    assert opt.state["a"]["step"] == 2 and opt.state["b"]["step"] == 1
    assert opt.state["b"]["exp_avg"].shape == (2, 2)
    snapshot = opt.state_dict()
    snapshot["state"]["a"]["exp_avg"][:] = 99.0
    assert not np.any(opt.state["a"]["exp_avg"] == 99.0)  # state_dict is a copy


# ---------------------------------------------------------------------------- errors
ALL_OPTS = [SGD, RMSprop, Adam, AdamW]


@pytest.mark.parametrize("cls", ALL_OPTS, ids=lambda c: c.__name__)
def test_mismatched_shape_names_key_and_both_shapes(cls: type) -> None:
    opt = cls(lr=0.1)
    p = {"W": np.zeros((3, 2)), "b": np.zeros(2)}
    before = {k: v.copy() for k, v in p.items()}
    with pytest.raises(ValueError, match=r"W.*\(3, 2\).*\(2, 3\)"):
        opt.step(p, {"W": np.zeros((2, 3)), "b": np.ones(2)})
    for k in p:  # nothing was updated, not even the valid 'b'
        np.testing.assert_array_equal(p[k], before[k])


@pytest.mark.parametrize("cls", ALL_OPTS, ids=lambda c: c.__name__)
def test_mismatched_keys_name_the_key(cls: type) -> None:
    opt = cls(lr=0.1)
    with pytest.raises(ValueError, match="bias"):
        opt.step({"W": np.zeros(2), "bias": np.zeros(1)}, {"W": np.zeros(2)})
    with pytest.raises(ValueError, match="extra_g"):
        opt.step({"W": np.zeros(2)}, {"W": np.zeros(2), "extra_g": np.zeros(2)})


@pytest.mark.parametrize("cls", ALL_OPTS, ids=lambda c: c.__name__)
def test_negative_lr_rejected(cls: type) -> None:
    with pytest.raises(ValueError, match="lr"):
        cls(lr=-0.1)
    opt = cls(lr=0.1)
    opt.lr = -1.0  # a buggy schedule is caught at the next step
    with pytest.raises(ValueError, match="lr"):
        opt.step({"w": np.zeros(2)}, {"w": np.zeros(2)})


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(lr=0.1, momentum=-0.5),
        lambda: SGD(lr=0.1, nesterov=True),
        lambda: SGD(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        lambda: SGD(lr=0.1, weight_decay=-1e-3),
        lambda: RMSprop(alpha=1.5),
        lambda: RMSprop(eps=-1.0),
        lambda: Adam(betas=(1.0, 0.999)),
        lambda: Adam(betas=(0.9,)),
        lambda: AdamW(weight_decay=-0.1),
        lambda: Adam(lr=float("nan")),
    ],
)
def test_invalid_hyperparameters_rejected(make: Callable[[], Any]) -> None:
    with pytest.raises(ValueError):
        make()


def test_non_array_and_integer_params_rejected() -> None:
    with pytest.raises(TypeError, match="w"):
        SGD(lr=0.1).step({"w": [1.0, 2.0]}, {"w": np.zeros(2)})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="w"):
        SGD(lr=0.1).step({"w": np.zeros(2, dtype=int)}, {"w": np.zeros(2)})


def test_parameter_shape_change_needs_reset() -> None:
    opt = SGD(lr=0.1, momentum=0.9)
    opt.step({"w": np.zeros(2)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match=r"w.*\(3,\).*\(2,\)"):
        opt.step({"w": np.zeros(3)}, {"w": np.ones(3)})
    opt.reset()
    opt.step({"w": np.zeros(3)}, {"w": np.ones(3)})


# ---------------------------------------------------------------------------- schedules
def lr_sequences(ours_factory: Callable[[Any], Any], theirs_factory: Callable[[Any], Any],
                 base_lr: float = 0.1, n: int = 50) -> tuple[list[float], list[float], Any]:
    opt = SGD(lr=base_lr)
    sched = ours_factory(opt)
    tparam = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tparam], lr=base_lr)
    tsched = theirs_factory(topt)
    ours, theirs = [opt.lr], [topt.param_groups[0]["lr"]]
    assert sched.get_last_lr() == opt.lr
    for _ in range(n):
        topt.step()
        sched.step()
        tsched.step()
        ours.append(opt.lr)
        theirs.append(topt.param_groups[0]["lr"])
        assert sched.get_last_lr() == opt.lr
    return ours, theirs, sched


SCHEDULES = {
    "step": (lambda o: StepLR(o, step_size=7, gamma=0.5),
             lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    "cosine_T20": (lambda o: CosineAnnealingLR(o, T_max=20, eta_min=1e-3),   # 50 steps: past T_max and back up
                   lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=1e-3)),
    "cosine_T50": (lambda o: CosineAnnealingLR(o, T_max=50),
                   lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50)),
    "linear_warmup": (lambda o: LinearLR(o, start_factor=0.1, total_iters=10),
                      lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=10)),
    "linear_decay": (lambda o: LinearLR(o, start_factor=1.0, end_factor=0.25, total_iters=30),
                     lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.25,
                                                                 total_iters=30)),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch(name: str) -> None:
    ours, theirs, sched = lr_sequences(*SCHEDULES[name])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    closed = [sched.closed_form(e) for e in range(len(ours))]
    np.testing.assert_allclose(ours, closed, rtol=0, atol=1e-12)
    assert len(set(ours)) > 2  # the lr really moved


def test_warmup_cosine_shape() -> None:
    base, lo, warm, total = 0.1, 0.001, 10, 60
    lrs = [warmup_cosine(s, warm, total, base, lo) for s in range(total + 5)]
    assert lrs[0] == pytest.approx(base / warm) and lrs[warm - 1] == pytest.approx(base)
    assert all(a < b for a, b in zip(lrs[:warm - 1], lrs[1:warm]))          # rising warm-up
    assert all(a >= b for a, b in zip(lrs[warm:total], lrs[warm + 1:total]))  # then non-increasing
    assert lrs[total:] == [lo] * 5
    # the cosine part is torch's CosineAnnealingLR shifted by the warm-up
    tparam = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tparam], lr=base)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=total - warm, eta_min=lo)
    for s in range(warm, total + 1):
        assert math.isclose(warmup_cosine(s, warm, total, base, lo), topt.param_groups[0]["lr"], abs_tol=1e-12)
        topt.step()
        tsched.step()


def test_schedule_argument_errors() -> None:
    opt = SGD(lr=0.1)
    for make in (lambda: StepLR(opt, step_size=0), lambda: StepLR(opt, step_size=2, gamma=-1.0),
                 lambda: CosineAnnealingLR(opt, T_max=0), lambda: LinearLR(opt, start_factor=0.0),
                 lambda: LinearLR(opt, start_factor=1.5), lambda: LinearLR(opt, total_iters=0),
                 lambda: warmup_cosine(5, 10, 10, 0.1), lambda: warmup_cosine(-1, 2, 10, 0.1),
                 lambda: warmup_cosine(3, 2, 10, 0.1, min_lr=0.2)):
        with pytest.raises(ValueError):
            make()
