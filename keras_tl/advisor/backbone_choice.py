"""The advisor picks the backbone too: ``advise(..., backbones=...)`` ranks candidates on your labelled data.

The candidates are ranked by :func:`keras_tl.score_backbones`; the advisor picks by the **linear probe**
(measured on your own labels, over seeded splits) and reports LogME beside it: transferability scores are
cheaper, but in published model-ranking tables they correlate only loosely with fine-tuned accuracy, and
on the data measured for docs/advisor.md ("Choosing the backbone") LogME's order and the probe's differed.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras
import numpy as np

from keras_tl.advisor.inputs import PHOTO_SOURCE_WEIGHTS
from keras_tl.measure.candidates import offline_candidates
from keras_tl.measure.selection import BackboneRanking, CandidateScore, score_backbones
from keras_tl.models.backbones import load_backbone

__all__: list[str] = []


def _candidates(backbones, target) -> dict[str, keras.Model]:
    """``backbones`` (a mapping, ``"offline"``, a list or a comma list of ``"Backbone:weights"``) as models."""
    if isinstance(backbones, Mapping):
        return dict(backbones)
    shape = np.asarray(target).shape[1:]
    if isinstance(backbones, str):
        if backbones == "offline":
            return offline_candidates(shape)
        backbones = [b.strip() for b in backbones.split(",") if b.strip()]
    if isinstance(backbones, (list, tuple)) and backbones and all(isinstance(b, str) for b in backbones):
        return offline_candidates(shape, names=list(backbones))
    raise ValueError(f"backbones={backbones!r} is not allowed: give 'offline', a list of 'Backbone:weights' names "
                     "(e.g. ['MobileNetV2:imagenet-torchvision', 'VGG16:hed-bsds500']) or a mapping name -> "
                     "keras.Model that takes your raw images.")


def _rank_backbones(backbones, backbone, target, target_labels, seed: int) -> tuple:
    """``(ranking, backbone to advise on)``; without ``backbones``: ``(None, backbone)``.

    The backbone to advise on is the pick by the probe: for an offline candidate, its backbone with pooled
    features (no classifier), whose weights tell :func:`advise` the source sample; for a random-weights pick,
    the best pretrained offline candidate (the similarity needs a source sample); for a model of your own,
    that model.
    """
    if backbones is None:
        return None, backbone
    if backbone is not None:
        raise ValueError(f"backbone={getattr(backbone, 'name', backbone)!r} and backbones= are both given: give "
                         "backbones= (the advisor picks one) or backbone= (you did), not both.")
    if target is None or target_labels is None:
        raise ValueError("backbones= needs labelled target data: give target= images (0..255) and target_labels=, "
                         "or target= a dataset of (x, y) batches.")
    candidates = _candidates(backbones, target)
    ranking = score_backbones(candidates, target, target_labels, seed=seed)
    by_probe = sorted(ranking.rows, key=lambda r: -r.probe.mean)
    pretrained = [r for r in by_probe if getattr(candidates[r.name], "keras_tl_candidate", (None, None))[1]
                  in PHOTO_SOURCE_WEIGHTS]
    pick = by_probe[0]
    model = candidates[pick.name]
    if getattr(model, "keras_tl_candidate", (None, "x"))[1] is None and pretrained:
        model = candidates[pretrained[0].name]
    if hasattr(model, "keras_tl_candidate"):
        name, weights = model.keras_tl_candidate
        size = tuple(int(v) for v in model.keras_tl_backbone.input_shape[1:])
        return ranking, load_backbone(name, weights=weights, input_shape=size, pooling="avg", trainable=False)
    return ranking, model


def _backbone_text(ranking: BackboneRanking) -> tuple[str, list[str]]:
    """The pick and why (a sentence for the rationale), and the warnings the ranking supports."""
    rows = sorted(ranking.rows, key=lambda r: -r.probe.mean)
    pick = rows[0]
    by_logme = sorted(ranking.rows, key=lambda r: -r.logme)
    text = (f" Backbone: {pick.name!r}, picked by the linear probe on your labels: {_probe(pick)} over "
            f"{len(ranking.seeds)} splits (majority class {ranking.majority:.3f}), LogME {pick.logme:.3f} "
            f"(rank {by_logme.index(pick) + 1} of {len(rows)} by LogME).")
    if len(rows) > 1 and rows[1].probe.mean >= pick.probe.low:
        text += (f" {rows[1].name!r} is within the probe's noise ({_probe(rows[1])}): either will do, and "
                 "fine-tuning may reorder them.")
    text += (" The probe decides, not LogME or LEEP: it is measured on your own data, while transferability scores "
             "correlate only loosely with fine-tuned accuracy in published model-ranking tables (weighted Kendall "
             "tau from about -0.3 to 0.9)")
    if len(rows) >= 3:
        text += f"; here LogME against the probe: {ranking.rank_correlation('logme', 'probe')}"
    text += ". The probe measures frozen features: fine-tuning can change the order."
    warnings = []
    if pick.probe.low <= ranking.majority:
        warnings.append(
            f"the best candidate's linear probe ({_probe(pick)}) is not above the majority-class rate "
            f"({ranking.majority:.3f}): no candidate's frozen features separate your classes measurably. Check the "
            "labels, add data, or train from scratch; training on these features would score about chance.")
    if pick.name.endswith(":random"):
        warnings.append(f"random weights ({pick.name!r}) beat every pretrained candidate on the probe: their "
                        "features do not fit your data (negative transfer); compare with training from scratch.")
    return text, warnings


def _probe(row: CandidateScore) -> str:
    return f"{row.probe.mean:.3f} ± {row.probe.half_width:.3f}"
