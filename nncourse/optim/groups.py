"""Parameter groups for weight decay: decay the weight matrices, not the biases and norm weights.

    groups = weight_decay_groups(params, weight_decay=0.1)
    opt = AdamW(lr=1e-3, groups=groups)                                  # numpy, by name
    named = dict(model.named_parameters())                               # the torch twin, same groups
    topt = torch.optim.AdamW([{**g, "params": [named[n] for n in g["params"]]} for g in groups], lr=1e-3)

Decaying a bias or a LayerNorm/BatchNorm scale only pulls it towards 0, which these parameters have no
reason to prefer; the common rule (GPT-2, nanoGPT) decays exactly the parameters with 2 or more axes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nncourse._validate import check_hyper

Group = dict[str, Any]


def weight_decay_groups(
    params: Mapping[str, Any] | Iterable[tuple[str, Any]], weight_decay: float, *, no_decay: Iterable[str] = ()
) -> list[Group]:
    """Split named parameters into a decayed and an undecayed group.

    Args:
        params: name -> array (numpy array or torch tensor: anything with ``.ndim``), or an iterable of
            ``(name, array)`` pairs such as ``model.named_parameters()``.
        weight_decay: the decay of the first group, >= 0.
        no_decay: further names to leave undecayed (e.g. an embedding table), each one of ``params``.

    Returns:
        ``[{"params": [names with ndim >= 2], "weight_decay": weight_decay},
        {"params": [names with ndim < 2 or in no_decay], "weight_decay": 0.0}]``, names in the order given.
    """
    if isinstance(params, (str, bytes)):
        raise TypeError(f"params must be a dict name -> array or (name, array) pairs, got {params!r}")
    try:
        named = dict(params.items()) if isinstance(params, Mapping) else dict(params)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"params must be a dict name -> array or (name, array) pairs, got {type(params).__name__}"
        ) from exc
    weight_decay = check_hyper("weight_decay", weight_decay)
    if isinstance(no_decay, (str, bytes)):
        raise TypeError(f"no_decay must be a list of parameter names, got the string {no_decay!r}")
    skip = set(no_decay)
    unknown = sorted(skip - set(named))
    if unknown:
        raise ValueError(f"no_decay names {unknown} are not among the parameters {sorted(named)}")
    for name, value in named.items():
        if not isinstance(name, str) or not hasattr(value, "ndim"):
            raise TypeError(f"params must map names (str) to arrays, got {name!r} -> {type(value).__name__}")
    decay = [n for n, v in named.items() if v.ndim >= 2 and n not in skip]
    rest = [n for n in named if n not in decay]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
