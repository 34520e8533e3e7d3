"""The checker's messages are what a learner acts on: test them word for word."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nncourse.checks import FAIL, PASS, TODO, Case, Task, checker, compare, run_task


@pytest.mark.parametrize(
    "expected, got, message",
    [
        (np.zeros((32, 10)), np.zeros((10, 32)), "result: expected shape (32, 10), got (10, 32)"),
        (
            np.array([1.0, 2.0, 3.0]),
            np.array([1.0, 2.5, 3.5]),
            "result differs at index (1,): expected 2, got 2.5 (2 of 3 entries differ)",
        ),
        (np.ones((2, 2)), np.array([[1.0, 1.0], [1.0, np.nan]]), "result contains NaN, first at index (1, 1)"),
        (np.ones(3), [1.0, 1.0, 1.0], "result should be a numpy array of shape (3,), got list [1.0, 1.0, 1.0]"),
        (np.ones(2), np.array(["a", "b"]), "result: expected dtype float64, got <U1"),
        ((np.ones(2), 1.0), (np.ones(2),), "result should have 2 items, got 1"),
        ((np.ones(2), 1.0), (np.ones(2), 2.0), "result[1]: expected 1, got 2"),
        (3, 3.5, "result should be an int, got float 3.5"),
        (True, 1, "result should be True or False, got int 1"),
        ({"W": np.ones(2), "b": 0.0}, {"W": np.ones(2)}, "result should have keys ['W', 'b'], got ['W']"),
        (
            {"W": np.ones(2)},
            {"W": np.array([1.0, 3.0])},
            "result['W'] differs at index (1,): expected 1, got 3 (1 of 2 entries differ)",
        ),
        (0.5, "0.5", "result should be a number, got str '0.5'"),
    ],
)
def test_compare_says_what_differs_and_where(expected, got, message):
    assert compare(expected, got) == message


def test_compare_accepts_equal_values_within_tolerance_and_tensors():
    assert compare(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12])) is None
    assert compare(np.array([1, 0]), torch.tensor([1, 0])) is None
    assert compare(np.array([1, 0]), np.array([1.0, 0.0])) is None  # integral floats are fine for labels
    assert compare((np.zeros(2), 1.0, [1, 0]), [np.zeros(2), 1.0, [1, 0]]) is None


def _task(**kw) -> Task:
    return Task(
        "square",
        lambda x: x**2,
        lambda: [Case("three", (np.arange(3.0),))],
        lambda: [Case("four", (np.arange(4.0),))],
        **kw,
    )


def test_run_task_verdicts():
    task = _task()
    assert run_task(task, lambda x: x * x, task.public_cases()).status == PASS

    def todo(x):
        raise NotImplementedError

    assert run_task(task, todo, task.public_cases()).status == TODO
    crash = run_task(task, lambda x: x / undefined_name, task.public_cases())  # noqa: F821
    assert crash.status == FAIL and "your code raised NameError" in crash.message and "case 'three'" in crash.message
    assert run_task(task, 42, task.public_cases()).message == "expected a function, got int 42"


def test_learner_code_that_mutates_its_input_does_not_change_the_reference_answer():
    task = _task()

    def mutate_then_answer(x):
        result = x**2
        x[:] = 100.0  # changing the input must not change what the reference is compared on
        return result

    assert run_task(task, mutate_then_answer, task.public_cases()).passed


def test_checker_prints_and_summarises(capsys):
    check = checker("01_perceptron")
    check("no_such_task", print)
    check("predict", lambda X, w, b: (X @ w + b > 0).astype(np.int64))
    check.summary()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{FAIL} exercise 01_perceptron has no task 'no_such_task'")
    assert out[1] == f"{PASS} predict: all 3 cases pass"
    assert out[2] == "score: 1/4 points; … still to do: update, train_perceptron"


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown exercise '99_nothing'"):
        checker("99_nothing")


@pytest.mark.parametrize(
    "expected, got, message",
    [
        (
            np.array(2.0),
            np.float64(2.0),
            "result should be a 0-d numpy array (shape ()), got a number, numpy float64 2.0: np.asarray turns a number into one",
        ),
        (np.array(2.0), np.array(3.0), "result: expected 2, got 3"),
        (1.5, np.array([1.5, 2.0]), "result should be a number, got array of shape (2,) (dtype float64)"),
        (np.ones(3), np.float64(1.0), "result should be a numpy array of shape (3,), got numpy float64 1.0"),
        (1234567.0, 1234569.0, "result: expected 1234567, got 1234569"),  # digits until the two differ
        (
            np.array([100.0]),
            np.array([100.0002]),
            "result differs at index (0,): expected 100, got 100.0002 (1 of 1 entries differ)",
        ),
    ],
)
def test_messages_never_contradict_themselves_and_show_the_difference(expected, got, message):
    assert compare(expected, got) == message


def test_zero_d_results_pass_where_a_number_is_expected():
    assert compare(2.0, np.array(2.0)) is None
    assert compare(np.float64(2.0), torch.tensor(2.0, dtype=torch.float64)) is None
