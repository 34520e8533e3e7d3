"""Chapter 06: the numpy optimizers and schedules against their torch.optim twins."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Any

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
        scheds=(
            lambda o: StepLR(o, step_size=30, gamma=0.3),
            lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.3),
        ),
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
def lr_sequences(
    ours_factory: Callable[[Any], Any], theirs_factory: Callable[[Any], Any], base_lr: float = 0.1, n: int = 50
) -> tuple[list[float], list[float], Any]:
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
    "step": (
        lambda o: StepLR(o, step_size=7, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
    ),
    "cosine_T20": (
        lambda o: CosineAnnealingLR(o, T_max=20, eta_min=1e-3),  # 50 steps: past T_max and back up
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=1e-3),
    ),
    "cosine_T50": (
        lambda o: CosineAnnealingLR(o, T_max=50),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50),
    ),
    "linear_warmup": (
        lambda o: LinearLR(o, start_factor=0.1, total_iters=10),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=10),
    ),
    "linear_decay": (
        lambda o: LinearLR(o, start_factor=1.0, end_factor=0.25, total_iters=30),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.25, total_iters=30),
    ),
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
    assert all(a < b for a, b in pairwise(lrs[:warm]))  # rising warm-up
    assert all(a >= b for a, b in pairwise(lrs[warm:total]))  # then non-increasing
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
    for make in (
        lambda: StepLR(opt, step_size=0),
        lambda: StepLR(opt, step_size=2, gamma=-1.0),
        lambda: CosineAnnealingLR(opt, T_max=0),
        lambda: LinearLR(opt, start_factor=0.0),
        lambda: LinearLR(opt, start_factor=1.5),
        lambda: LinearLR(opt, total_iters=0),
        lambda: warmup_cosine(5, 10, 10, 0.1),
        lambda: warmup_cosine(-1, 2, 10, 0.1),
        lambda: warmup_cosine(3, 2, 10, 0.1, min_lr=0.2),
    ):
        with pytest.raises(ValueError):
            make()


# ---------------------------------------------------------------------------- schedules: edge cases, chains
def test_linear_lr_to_zero_stays_at_zero_and_training_steps_on() -> None:
    opt = SGD(lr=0.1, momentum=0.9)
    sched = LinearLR(opt, start_factor=1 / 3, end_factor=0.0, total_iters=7)
    p = {"w": np.ones(3)}
    for _ in range(10):  # the step after the lr reached 0 must not raise
        opt.step(p, {"w": np.ones(3)})
        sched.step()
        assert opt.lr >= 0.0
    assert opt.lr == 0.0


@pytest.mark.parametrize("total_iters", [1, 3, 7, 10, 30])
@pytest.mark.parametrize("start", [1.0, 0.5, 1 / 3])
def test_linear_lr_to_zero_matches_torch(total_iters: int, start: float) -> None:
    ours, theirs, _ = lr_sequences(
        lambda o: LinearLR(o, start_factor=start, end_factor=0.0, total_iters=total_iters),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=start, end_factor=0.0, total_iters=total_iters),
        n=total_iters + 5,
    )
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)
    assert min(ours) >= 0.0 and ours[-1] == 0.0


def _pair(ours_opt: Any, topt: torch.optim.Optimizer, kind: str, **kw: Any) -> tuple[Any, Any]:
    ours_cls = {"step": StepLR, "cos": CosineAnnealingLR, "lin": LinearLR}[kind]
    torch_cls = {
        "step": torch.optim.lr_scheduler.StepLR,
        "cos": torch.optim.lr_scheduler.CosineAnnealingLR,
        "lin": torch.optim.lr_scheduler.LinearLR,
    }[kind]
    return ours_cls(ours_opt, **kw), torch_cls(topt, **kw)


CHAINS = {
    "step_then_cosine": [("step", dict(step_size=3, gamma=0.2)), ("cos", dict(T_max=10))],
    "step_then_cosine_eta": [("step", dict(step_size=7, gamma=0.5)), ("cos", dict(T_max=10, eta_min=1e-4))],
    "warmup_and_cosine": [("lin", dict(start_factor=0.1, total_iters=5)), ("cos", dict(T_max=12))],
    "cosine_and_decay_to_zero": [
        ("cos", dict(T_max=8)),
        ("lin", dict(start_factor=1.0, end_factor=0.0, total_iters=6)),
    ],
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_chained_schedulers_match_torch(name: str) -> None:
    """Two schedulers stepped on one optimizer every epoch (torch's ChainedScheduler): the cosine's base
    is the initial lr, not the lr the first scheduler had already scaled."""
    opt, tparam = SGD(lr=0.1), torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tparam], lr=0.1)
    pairs = [_pair(opt, topt, kind, **kw) for kind, kw in CHAINS[name]]
    ours, theirs = [opt.lr], [topt.param_groups[0]["lr"]]
    for _ in range(45):  # well past T_max
        topt.step()
        for mine, its in pairs:
            mine.step()
            its.step()
        ours.append(opt.lr)
        theirs.append(topt.param_groups[0]["lr"])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert min(ours) >= 0.0


SEQUENCES = {
    "warmup_then_cosine": (
        [("lin", dict(start_factor=0.1, total_iters=4)), ("cos", dict(T_max=20, eta_min=1e-3))],
        [5],
    ),
    "step_lin0_cos": (
        [
            ("step", dict(step_size=2, gamma=0.5)),
            ("lin", dict(start_factor=1.0, end_factor=0.0, total_iters=4)),
            ("cos", dict(T_max=6)),
        ],
        [6, 12],
    ),
    "cos_then_step": ([("cos", dict(T_max=5)), ("step", dict(step_size=3, gamma=0.3))], [9]),
}


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_sequential_lr_matches_torch(name: str) -> None:
    from nncourse.optim import SequentialLR

    specs, milestones = SEQUENCES[name]
    opt, tparam = SGD(lr=0.1), torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tparam], lr=0.1)
    pairs = [_pair(opt, topt, kind, **kw) for kind, kw in specs]
    sched = SequentialLR(opt, [a for a, _ in pairs], milestones=milestones)
    tsched = torch.optim.lr_scheduler.SequentialLR(topt, [b for _, b in pairs], milestones=milestones)
    ours, theirs = [opt.lr], [topt.param_groups[0]["lr"]]
    for _ in range(40):
        topt.step()
        sched.step()
        tsched.step()
        ours.append(opt.lr)
        theirs.append(topt.param_groups[0]["lr"])
        assert sched.get_last_lr() == opt.lr
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert min(ours) >= 0.0 and len(set(np.round(ours, 12))) > 5


def test_sequential_lr_argument_errors() -> None:
    from nncourse.optim import SequentialLR

    opt, other = SGD(lr=0.1), SGD(lr=0.1)
    a, b = StepLR(opt, step_size=2), CosineAnnealingLR(opt, T_max=5)
    with pytest.raises(ValueError, match="milestones"):
        SequentialLR(opt, [a, b], milestones=[])
    with pytest.raises(ValueError, match="milestones"):
        SequentialLR(opt, [a, b], milestones=[3, 4])
    with pytest.raises(TypeError, match=r"milestones\[0\]"):
        SequentialLR(opt, [a, b], milestones=[2.5])
    with pytest.raises(TypeError, match=r"schedulers\[1\]"):
        SequentialLR(opt, [a, "cosine"], milestones=[3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"schedulers\[0\]"):
        SequentialLR(opt, [StepLR(other, step_size=2), b], milestones=[3])


def test_chain_where_torch_goes_negative_is_clamped_at_zero() -> None:
    """A documented difference: chaining a fast StepLR with a cosine whose eta_min sits above the
    decayed lr drives torch's recursive cosine below 0 (a negative lr: gradient *ascent*). Ours clamps
    such values at 0 and training steps on; wherever torch's lr is >= 0 the two agree."""
    opt, tparam = SGD(lr=0.1), torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tparam], lr=0.1)
    pairs = [_pair(opt, topt, "step", step_size=3, gamma=0.2), _pair(opt, topt, "cos", T_max=10, eta_min=1e-3)]
    ours, theirs = [], []
    for _ in range(30):
        opt.step({"w": np.zeros(1)}, {"w": np.ones(1)})
        topt.step()
        for mine, its in pairs:
            mine.step()
            its.step()
        ours.append(opt.lr)
        theirs.append(topt.param_groups[0]["lr"])
    ours_a, theirs_a = np.array(ours), np.array(theirs)
    assert theirs_a.min() < 0 and ours_a.min() == 0.0
    first = int(np.argmax(theirs_a < 0))  # the recursions part ways from there on
    np.testing.assert_allclose(ours_a[:first], theirs_a[:first], rtol=1e-12, atol=1e-15)
    assert ours_a[first] == 0.0 and (ours_a >= 0).all()


# ---------------------------------------------------------------------------- parameter groups
def _torch_groups(groups: list[dict[str, Any]], tparams: dict[str, torch.Tensor]) -> list[dict[str, Any]]:
    return [{**g, "params": [tparams[n] for n in g["params"]]} for g in groups]


GROUP_CASES = {
    "adamw_decay_split": (AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.3), {}),
    "adamw_group_lr": (AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.3), {1: dict(lr=0.03)}),
    "adamw_group_betas_eps": (
        AdamW,
        torch.optim.AdamW,
        dict(lr=0.01, amsgrad=True),
        {0: dict(betas=(0.8, 0.9), eps=1e-6)},
    ),
    "adam_l2_split": (Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1), {}),
    "sgd_momentum_split": (
        SGD,
        torch.optim.SGD,
        dict(lr=0.02, momentum=0.9, weight_decay=0.05),
        {1: dict(momentum=0.5)},
    ),
    "rmsprop_split": (RMSprop, torch.optim.RMSprop, dict(lr=0.005, weight_decay=0.05), {1: dict(alpha=0.9)}),
}


@pytest.mark.parametrize("name", list(GROUP_CASES))
@pytest.mark.parametrize("scheduled", [False, True], ids=["constant", "cosine"])
def test_parameter_groups_match_torch_step_by_step(name: str, scheduled: bool) -> None:
    from nncourse.optim import weight_decay_groups

    ours_cls, torch_cls, hp, extra = GROUP_CASES[name]
    params, X, Y = make_problem(0)
    groups = weight_decay_groups(params, hp.get("weight_decay", 0.0))
    assert groups[0]["params"] == ["W1", "W2"] and groups[1]["params"] == ["b1", "c"]
    for k, more in extra.items():
        groups[k].update(more)
    ours = ours_cls(**hp, groups=groups)
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    topt = torch_cls(_torch_groups(groups, tparams), **hp)
    if scheduled:
        sched = CosineAnnealingLR(ours, T_max=20, eta_min=1e-4)
        tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=20, eta_min=1e-4)
    start = {k: v.copy() for k, v in params.items()}
    for _ in range(60):
        topt.zero_grad()
        loss_fn(tparams, X, Y).backward()
        ours.step(params, {k: t.grad.numpy().copy() for k, t in tparams.items()})
        topt.step()
        if scheduled:
            sched.step()
            tsched.step()
            for g_ours, g_torch in zip(ours.groups, topt.param_groups, strict=True):
                if "lr" in g_ours:
                    assert g_ours["lr"] == pytest.approx(g_torch["lr"], rel=1e-12, abs=1e-15)
        assert max_diff(params, tparams) <= TOL
    assert all(np.abs(params[k] - start[k]).max() > 1e-3 for k in params)  # every parameter moved


def test_weight_decay_groups_leave_biases_and_norm_weights_undecayed() -> None:
    from nncourse.optim import weight_decay_groups

    params = {
        "emb.weight": np.zeros((10, 4)),
        "ln.weight": np.ones(4),
        "ln.bias": np.zeros(4),
        "fc.weight": np.zeros((3, 4)),
        "fc.bias": np.zeros(3),
        "conv.weight": np.zeros((2, 1, 3, 3)),
    }
    decay, rest = weight_decay_groups(params, 0.1)
    assert decay == {"params": ["emb.weight", "fc.weight", "conv.weight"], "weight_decay": 0.1}
    assert rest == {"params": ["ln.weight", "ln.bias", "fc.bias"], "weight_decay": 0.0}
    decay, rest = weight_decay_groups(params.items(), 0.1, no_decay=["emb.weight"])
    assert decay["params"] == ["fc.weight", "conv.weight"] and rest["params"][0] == "emb.weight"
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
    decay, rest = weight_decay_groups(model.named_parameters(), 0.1)
    assert decay["params"] == ["0.weight"] and rest["params"] == ["0.bias", "1.weight", "1.bias"]


def test_a_decayed_weight_shrinks_an_undecayed_bias_does_not() -> None:
    from nncourse.optim import weight_decay_groups

    params = {"W": np.ones((2, 2)), "b": np.ones(2)}
    opt = AdamW(lr=0.1, weight_decay=0.5, groups=weight_decay_groups(params, 0.5))
    for _ in range(5):
        opt.step(params, {"W": np.zeros((2, 2)), "b": np.zeros(2)})  # zero gradient: only the decay acts
    np.testing.assert_allclose(params["W"], (1 - 0.05) ** 5)
    np.testing.assert_array_equal(params["b"], np.ones(2))


@pytest.mark.parametrize(
    "groups, exc, match",
    [
        ("W", TypeError, "groups"),
        ([{"weight_decay": 0.1}], TypeError, r"groups\[0\]"),
        ([{"params": "W"}], TypeError, r"groups\[0\]\['params'\]"),
        ([{"params": ["W"]}, {"params": ["W"]}], ValueError, "'W' appears in groups\\[0\\] and groups\\[1\\]"),
        ([{"params": ["W"], "nesterov": True}], ValueError, "unknown key.*nesterov"),
        ([{"params": ["W"], "weight_decay": -1.0}], ValueError, r"groups\[0\]\['weight_decay'\]"),
        ([{"params": ["W"], "lr": "0.1"}], TypeError, r"groups\[0\]\['lr'\]"),
        ([{"params": ["W"], "betas": (0.9,)}], ValueError, r"groups\[0\]\['betas'\]"),
    ],
)
def test_bad_groups_name_the_group(groups: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        AdamW(lr=0.1, groups=groups)


def test_weight_decay_groups_bad_input() -> None:
    from nncourse.optim import weight_decay_groups

    with pytest.raises(TypeError, match="params"):
        weight_decay_groups("W", 0.1)
    with pytest.raises(TypeError, match="params"):
        weight_decay_groups({"W": [1.0, 2.0]}, 0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        weight_decay_groups({"W": np.zeros((2, 2))}, -0.1)
    with pytest.raises(ValueError, match=r"no_decay.*'emb'"):
        weight_decay_groups({"W": np.zeros((2, 2))}, 0.1, no_decay=["emb"])
    with pytest.raises(TypeError, match="no_decay"):
        weight_decay_groups({"W": np.zeros((2, 2))}, 0.1, no_decay="W")


def test_a_scheduler_moves_each_group_lr_from_its_own_initial_value() -> None:
    opt = SGD(lr=0.1, groups=[{"params": ["b"], "lr": 0.01}])
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(4):
        sched.step()
    assert opt.lr == pytest.approx(0.025) and opt.groups[0]["lr"] == pytest.approx(0.0025)
    assert opt.groups[0]["initial_lr"] == 0.01 and opt.initial_lr == 0.1
    opt.groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match=r"groups\[0\]\['lr'\]"):
        opt.step({"b": np.zeros(1)}, {"b": np.zeros(1)})


# ---------------------------------------------------------------------------- gradient clipping
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 5.0, 1e6, 0.0])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    from nncourse.optim import clip_grad_norm

    rng = np.random.default_rng(1)
    grads = {"W": rng.normal(size=(5, 4)), "b": rng.normal(size=(4,)), "s": rng.normal(size=())}
    tensors = [torch.zeros(v.shape, dtype=torch.float64, requires_grad=True) for v in grads.values()]
    for t, v in zip(tensors, grads.values(), strict=True):
        t.grad = torch.tensor(v)
    ids = {k: id(v) for k, v in grads.items()}
    total = clip_grad_norm(grads, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type=norm_type)
    assert isinstance(total, float) and total == pytest.approx(float(expected), rel=1e-13)
    for t, (k, v) in zip(tensors, grads.items(), strict=True):
        assert id(v) == ids[k]  # clipped in place
        np.testing.assert_allclose(v, t.grad.numpy(), rtol=1e-13, atol=1e-300)


def test_clip_grad_norm_clips_only_above_max_norm() -> None:
    from nncourse.optim import clip_grad_norm

    grads = [np.array([3.0, 4.0])]
    assert clip_grad_norm(grads, max_norm=10.0) == 5.0
    np.testing.assert_array_equal(grads[0], [3.0, 4.0])
    assert clip_grad_norm(grads, max_norm=1.0) == 5.0
    np.testing.assert_allclose(np.linalg.norm(grads[0]), 1.0, rtol=1e-6)
    assert clip_grad_norm({}, 1.0) == 0.0
    nan = [np.array([np.nan, 1.0])]
    with pytest.raises(ValueError, match="total norm"):
        clip_grad_norm(nan, 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda f: f(np.zeros(3), 1.0), TypeError, "grads"),
        (lambda f: f({"w": [1.0, 2.0]}, 1.0), TypeError, r"grads\['w'\]"),
        (lambda f: f({"w": np.zeros(2, dtype=int)}, 1.0), ValueError, r"grads\['w'\].*float"),
        (lambda f: f([np.zeros(2)], -1.0), ValueError, "max_norm"),
        (lambda f: f([np.zeros(2)], "1"), TypeError, "max_norm"),
        (lambda f: f([np.zeros(2)], 1.0, norm_type=0), ValueError, "norm_type"),
        (lambda f: f([np.zeros(2)], 1.0, norm_type="inf"), ValueError, "norm_type"),
    ],
)
def test_clip_grad_norm_bad_input(call: Callable[[Any], Any], exc: type, match: str) -> None:
    from nncourse.optim import clip_grad_norm

    with pytest.raises(exc, match=match):
        call(clip_grad_norm)


# ---------------------------------------------------------------------------- bad input, named
@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: SGD(lr="0.1"), TypeError, "lr"),
        (lambda: SGD(lr=0.1, momentum=None), TypeError, "momentum"),
        (lambda: SGD(lr=0.1, nesterov="yes"), TypeError, "nesterov"),
        (lambda: RMSprop(centered=1), TypeError, "centered"),
        (lambda: Adam(betas=0.9), ValueError, "betas"),
        (lambda: Adam(betas=(0.9, "0.99")), TypeError, r"betas\[1\]"),
        (lambda: AdamW(amsgrad="no"), TypeError, "amsgrad"),
        (lambda: StepLR(SGD(lr=0.1), step_size=2.0), TypeError, "step_size"),
        (lambda: StepLR(object(), step_size=2), TypeError, "optimizer"),
        (lambda: CosineAnnealingLR(SGD(lr=0.1), T_max=True), TypeError, "T_max"),
        (lambda: LinearLR(SGD(lr=0.1), end_factor=1.5), ValueError, "end_factor"),
        (lambda: warmup_cosine(1.5, 2, 10, 0.1), TypeError, "step"),
        (lambda: warmup_cosine(1, 2, 2, 0.1), ValueError, "total_steps"),
        (lambda: StepLR(SGD(lr=0.1), step_size=2).closed_form(-1), ValueError, "epoch"),
        (
            lambda: SGD(lr=0.1, momentum=0.9, nesterov=True, groups=[{"params": ["b"], "momentum": 0.0}]),
            ValueError,
            r"groups\[0\]: nesterov=True needs momentum > 0",
        ),
    ],
)
def test_bad_arguments_name_the_argument(make: Callable[[], Any], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        make()


ALL_SETTINGS = [
    SGD(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1),
    SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    RMSprop(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
    Adam(lr=0.01, weight_decay=0.1, amsgrad=True),
    AdamW(lr=0.01, weight_decay=0.1),
]


@pytest.mark.parametrize("opt", ALL_SETTINGS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_steps_update_in_place_and_never_write_the_gradients(opt: Any, dtype: type) -> None:
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(4, 3)).astype(dtype), "b": rng.normal(size=3).astype(dtype)}
    objects = {k: v for k, v in params.items()}
    for _ in range(3):
        grads = {"W": rng.normal(size=(4, 3)).astype(dtype), "b": rng.normal(size=3).astype(dtype)}
        kept = {k: v.copy() for k, v in grads.items()}
        before = {k: v.copy() for k, v in params.items()}
        opt.step(params, grads)
        for k in params:
            assert params[k] is objects[k] and params[k].dtype == dtype
            np.testing.assert_array_equal(grads[k], kept[k])
            assert not np.array_equal(params[k], before[k])
    opt.reset()
