"""Trial lists, cosine scoring and the speaker bootstrap."""

from __future__ import annotations

import hashlib
import warnings
from functools import partial

import numpy as np
import pytest

from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.metrics import det_curve, eer_from_curve
from cdsvae_eval.data.timit import CORE_TEST_SPEAKERS
from cdsvae_eval.tasks.verification import (
    Trials,
    all_pairs_trials,
    core_allpairs_trials,
    cosine_pair_scorer,
    cosine_scores,
    det_points,
    evaluate_verification,
    speaker_bootstrap,
    write_scores,
)


def clustered_embeddings(n_speakers, per_speaker, spread, seed=0, dims=16):
    rng = np.random.default_rng(seed)
    speakers = np.repeat(np.arange(n_speakers), per_speaker)
    centres = rng.normal(size=(n_speakers, dims))
    return centres[speakers] + spread * rng.normal(size=(len(speakers), dims)), speakers


def pair_set(trials):
    return set(zip(trials.enrol.tolist(), trials.test.tolist()))


def test_all_pairs_counts_and_labels():
    speakers = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
    trials = all_pairs_trials(speakers)
    assert len(trials) == 10 * 9 // 2
    assert trials.n_target == 3 + 1 + 0 + 6
    assert pair_set(trials) == {(i, j) for i in range(10) for j in range(i + 1, 10)}
    np.testing.assert_array_equal(trials.label, speakers[trials.enrol] == speakers[trials.test])
    assert trials.protocol == "all-pairs"


def test_max_trials_keeps_every_target_and_is_seeded():
    speakers = np.repeat(np.arange(30), 5)
    full = all_pairs_trials(speakers)
    sampled = all_pairs_trials(speakers, max_trials=2000, seed=7)
    assert len(sampled) == 2000
    assert sampled.n_target == full.n_target == 30 * 10
    assert pair_set(sampled) <= pair_set(full)
    assert len(pair_set(sampled)) == 2000  # no pair twice
    np.testing.assert_array_equal(sampled.label, speakers[sampled.enrol] == speakers[sampled.test])
    again = all_pairs_trials(speakers, max_trials=2000, seed=7)
    other = all_pairs_trials(speakers, max_trials=2000, seed=8)
    assert pair_set(again) == pair_set(sampled)
    assert pair_set(other) != pair_set(sampled)
    assert "max_trials=2000" in sampled.protocol and "seed=7" in sampled.protocol


def test_sampled_non_targets_are_spread_uniformly():
    speakers = np.arange(60)  # 1770 pairs, all non-target
    hits = np.zeros(60)
    for seed in range(40):
        sampled = all_pairs_trials(speakers, max_trials=177, seed=seed)
        hits += np.bincount(np.r_[sampled.enrol, sampled.test], minlength=60)
    # each utterance is in 59 of 1770 pairs: expected 40 * 177 * 2 / 60 = 236 appearances
    assert np.all(np.abs(hits - 236) < 5 * np.sqrt(236))


def test_max_trials_below_the_target_count_is_a_config_error():
    with pytest.raises(ConfigError, match="300 target pairs"):
        all_pairs_trials(np.repeat(np.arange(30), 5), max_trials=300)


def core_layout(per_speaker=8, extra_speakers=("MCPM0", "FADG0"), with_sa=False):
    ids, speakers = [], []
    for speaker in (*CORE_TEST_SPEAKERS, *extra_speakers):
        sentences = [f"SX{k}" for k in range(per_speaker)] + (["SA1", "SA2"] if with_sa else [])
        for sentence in sentences:
            ids.append(f"{speaker}/{sentence}")
            speakers.append(speaker.lower())
    return np.array(ids), np.array(speakers)


def test_core_allpairs_gives_the_published_counts():
    ids, speakers = core_layout(with_sa=True)
    trials = core_allpairs_trials(ids, speakers)
    assert (len(trials), trials.n_target, trials.n_nontarget) == (18_336, 672, 17_664)
    used = np.unique(np.r_[trials.enrol, trials.test])
    assert len(used) == 192
    assert all(s.upper() in CORE_TEST_SPEAKERS for s in speakers[used])
    assert not any(i.endswith(("SA1", "SA2")) for i in ids[used])
    np.testing.assert_array_equal(trials.label, speakers[trials.enrol] == speakers[trials.test])
    assert trials.protocol == "core-allpairs"


def test_core_allpairs_names_missing_speakers():
    ids, speakers = core_layout()
    keep = ~np.isin(speakers, ["mdab0", "fmld0"])
    with pytest.raises(DataError, match="missing 2: FMLD0 MDAB0"):
        core_allpairs_trials(ids[keep], speakers[keep])


def test_core_allpairs_warns_about_unusual_utterance_counts():
    ids, speakers = core_layout(per_speaker=7)
    with pytest.warns(UserWarning, match="expects 8 utterances"):
        trials = core_allpairs_trials(ids, speakers)
    assert len(trials) == 168 * 167 // 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        core_allpairs_trials(*core_layout())


def test_trial_text_checksum_and_file(tmp_path):
    trials = all_pairs_trials(np.array([5, 5, 9]))
    ids = ["a/1", "a/2", "b/1"]
    assert trials.text(ids) == "1 a/1 a/2\n0 a/1 b/1\n0 a/2 b/1\n"
    trials.write(tmp_path / "trials.txt", ids)
    content = (tmp_path / "trials.txt").read_bytes()
    assert hashlib.sha256(content).hexdigest() == trials.checksum(ids)
    assert trials.checksum(["a/1", "a/2", "b/2"]) != trials.checksum(ids)


def test_trial_ids_with_whitespace_are_rejected():
    with pytest.raises(DataError, match="whitespace"):
        all_pairs_trials(np.array([1, 1])).text(["a b", "c"])


def test_score_file_round_trips_scores(tmp_path):
    emb, speakers = clustered_embeddings(3, 2, 0.3)
    trials = all_pairs_trials(speakers)
    scores = cosine_scores(emb, trials)
    ids = [f"u{i}" for i in range(6)]
    write_scores(tmp_path / "scores.txt", trials, ids, scores)
    lines = (tmp_path / "scores.txt").read_text().splitlines()
    assert len(lines) == len(trials)
    enrol, test, label, score = lines[0].split()
    assert (enrol, test, int(label)) == ("u0", "u1", 1)
    np.testing.assert_array_equal([float(line.split()[3]) for line in lines], scores)


def test_cosine_scores_match_an_explicit_loop(monkeypatch):
    rng = np.random.default_rng(2)
    emb = rng.normal(size=(12, 5)) * rng.uniform(0.1, 10, size=(12, 1))
    emb[3] = 0.0
    trials = all_pairs_trials(rng.integers(0, 3, 12))
    expected = [
        0.0 if i == 3 or j == 3 else emb[i] @ emb[j] / np.linalg.norm(emb[i]) / np.linalg.norm(emb[j])
        for i, j in zip(trials.enrol, trials.test)
    ]
    np.testing.assert_allclose(cosine_scores(emb, trials), expected, atol=1e-12)
    monkeypatch.setattr("cdsvae_eval.tasks.verification._CHUNK_FLOATS", 7)  # many small chunks
    np.testing.assert_allclose(cosine_scores(emb, trials), expected, atol=1e-12)


def eer_only():
    return {"eer": eer_from_curve}


def cosine(emb):
    return {"x": cosine_pair_scorer(emb)}


def test_bootstrap_is_deterministic_for_a_seed():
    emb, speakers = clustered_embeddings(10, 4, 0.8)
    run = partial(speaker_bootstrap, cosine(emb), speakers, all_pairs_trials, eer_only(), n_boot=50)
    first, again, other = run(seed=3)["x"], run(seed=3)["x"], run(seed=4)["x"]
    np.testing.assert_array_equal(first["eer"][2], again["eer"][2])
    assert first["eer"][:2] == again["eer"][:2]
    assert not np.array_equal(first["eer"][2], other["eer"][2])


def test_bootstrap_interval_contains_the_point_estimate():
    emb, speakers = clustered_embeddings(20, 6, 1.0, seed=5)
    summary = evaluate_verification(cosine(emb), speakers, all_pairs_trials(speakers), n_boot=300, seed=0)
    for name in ("eer", "min_dcf_0.01", "min_dcf_0.05"):
        metric = summary.metrics["x"][name]
        assert metric["ci_low"] <= metric["value"] <= metric["ci_high"]
        assert metric["ci_low"] < metric["ci_high"]
    assert 0.0 < summary.metrics["x"]["eer"]["value"] < 0.3
    assert (summary.n_speakers, summary.n_utterances) == (20, 120)
    assert (summary.n_target, summary.n_nontarget) == (20 * 15, 120 * 119 // 2 - 20 * 15)


def test_bootstrap_resamples_speakers_not_trials():
    """Ten tight speakers and one scattered outlier: the EER is 0 exactly when the outlier is not drawn,
    which happens with probability (10/11)^11 = 0.35 under speaker resampling and almost never under
    trial resampling (375 of the 2145 trials involve the outlier)."""
    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(11), 6)
    emb = np.eye(11)[speakers] * 10 + 0.01 * rng.normal(size=(66, 11))
    emb[speakers == 10] = rng.normal(size=(6, 11))
    result = speaker_bootstrap(cosine(emb), speakers, all_pairs_trials, eer_only(), n_boot=400, seed=1)
    low, high, values = result["x"]["eer"]
    assert 0.25 <= np.mean(values == 0.0) <= 0.45
    assert low == 0.0 and high > 0.0


def test_bootstrap_copies_keep_identity_and_drop_self_pairs():
    """Mutually orthogonal embeddings score 0 on every real pair, so every replicate's EER is exactly
    0.5, unless an utterance were paired with its own copy (a target trial scoring 1)."""
    speakers = np.repeat(np.arange(6), 3)
    seen = []

    def recording_all_pairs(resampled_speakers):
        seen.append(resampled_speakers)
        return all_pairs_trials(resampled_speakers)

    values = speaker_bootstrap(cosine(np.eye(18)), speakers, recording_all_pairs, eer_only(), n_boot=60,
                               seed=2)["x"]["eer"][2]
    np.testing.assert_array_equal(values, 0.5)
    assert all(len(s) == 18 for s in seen)
    assert any(len(np.unique(s)) < 6 for s in seen)  # some speaker was drawn twice


def test_bootstrap_with_too_few_speakers_fails_clearly():
    speakers = np.array([0, 1])  # one utterance each: no replicate ever has a target trial
    with pytest.raises(DataError, match="too few"):
        speaker_bootstrap(cosine(np.eye(2)), speakers, all_pairs_trials, eer_only(), n_boot=5)


def test_evaluate_without_bootstrap_has_no_interval():
    emb, speakers = clustered_embeddings(4, 3, 0.5)
    trials = all_pairs_trials(speakers)
    summary = evaluate_verification(cosine(emb), speakers, trials, n_boot=0)
    assert summary.metrics["x"]["eer"]["ci_low"] is None and summary.metrics["x"]["eer"]["std"] is None
    assert summary.trials_checksum == trials.checksum([f"row{i}" for i in range(12)])


def test_bootstrap_uses_only_utterances_in_the_trials():
    ids, names = core_layout()
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(len(ids), 4))
    summary = evaluate_verification(cosine(emb), names, core_allpairs_trials(ids, names), n_boot=5, utt_ids=ids)
    assert (summary.n_speakers, summary.n_utterances, summary.n_target) == (24, 192, 672)


def test_trials_reject_mismatched_arrays():
    with pytest.raises(DataError, match="one length"):
        Trials(np.array([0, 1]), np.array([1]), np.array([1, 0]), "x")


def test_the_speaker_bootstrap_takes_the_interval_level() -> None:
    """One bootstrap: the speaker bootstrap's interval is the shared percentile interval at any level
    (it hard-coded 2.5 and 97.5 before)."""
    emb, speakers = clustered_embeddings(12, 4, 0.9, seed=1)
    wide = speaker_bootstrap(cosine(emb), speakers, all_pairs_trials, eer_only(), n_boot=200, seed=0)["x"]["eer"]
    half = speaker_bootstrap(cosine(emb), speakers, all_pairs_trials, eer_only(), n_boot=200, seed=0,
                             level=0.5)["x"]["eer"]
    np.testing.assert_array_equal(wide[2], half[2])
    assert (half[0], half[1]) == pytest.approx(tuple(np.percentile(half[2], [25, 75])))
    assert wide[0] < half[0] < half[1] < wide[1]


def test_every_scorer_sees_the_same_replicates() -> None:
    emb, speakers = clustered_embeddings(10, 4, 0.8)
    both = speaker_bootstrap({"a": cosine_pair_scorer(emb), "b": cosine_pair_scorer(2 * emb)}, speakers,
                             all_pairs_trials, eer_only(), n_boot=30, seed=5)
    np.testing.assert_array_equal(both["a"]["eer"][2], both["b"]["eer"][2])  # scale-free: same replicates, same EERs


def test_det_points_keep_the_ends_and_follow_the_curve() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([1, 0], [500, 20_000])
    scores = np.concatenate([rng.normal(2.0, 1.0, 500), rng.normal(0.0, 1.0, 20_000)])
    curve = det_curve(scores, labels)
    points = det_points(curve, max_points=200)
    assert len(points["far"]) <= 200 < len(curve.far)
    assert (points["far"][0], points["frr"][0], points["far"][-1], points["frr"][-1]) == (0.0, 1.0, 1.0, 0.0)
    assert np.all(np.diff(points["far"]) >= 0) and np.all(np.diff(points["frr"]) <= 0)
    assert sum(far < 0.01 for far in points["far"]) >= 20  # the low-FAR tail keeps detail on probit axes
    small = det_curve(np.arange(10.0), np.array([1, 0] * 5))
    assert det_points(small) == {"far": small.far.tolist(), "frr": small.frr.tolist()}


def symmetric_scorers(emb):
    """Cosine and a second score, each from a bitwise-symmetric matrix: a trial (i, j) and a copy built as (j, i)
    score the same float, as the bootstraps' equivalence needs (a BLAS Gram matrix is symmetric only to rounding)."""
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    gram = unit @ unit.T
    gram = (gram + gram.T) / 2
    distance = np.abs(emb[:, None, 0] - emb[None, :, 0])
    return {"cos": lambda e, t: gram[e, t], "dist": lambda e, t: -distance[e, t]}


def test_the_all_pairs_bootstrap_is_the_speaker_bootstrap_without_building_trials() -> None:
    """Same replicates (same draws, same redraws), same DET curves, so the very same replicate values; uneven
    speakers and tied scores (rounded) included."""
    from cdsvae_eval.metrics import min_dcf_from_curve
    from cdsvae_eval.tasks.verification import all_pairs_speaker_bootstrap

    emb, speakers = clustered_embeddings(9, 5, 1.2, seed=7)
    keep = np.arange(len(speakers)) % 7 != 3  # speakers with 3, 4 or 5 utterances
    emb, speakers = np.round(emb[keep], 1), speakers[keep]
    metrics = {"eer": eer_from_curve, "dcf": partial(min_dcf_from_curve, p_target=0.05)}
    for seed in (0, 5):
        loop = speaker_bootstrap(symmetric_scorers(emb), speakers, all_pairs_trials, metrics, n_boot=120, seed=seed)
        fast = all_pairs_speaker_bootstrap(symmetric_scorers(emb), speakers, metrics, n_boot=120, seed=seed)
        for scorer in ("cos", "dist"):
            for name in metrics:
                np.testing.assert_array_equal(fast[scorer][name][2], loop[scorer][name][2])
                assert fast[scorer][name][:2] == loop[scorer][name][:2]
    sampled = partial(all_pairs_trials, max_trials=700, seed=2)  # replicates beyond it sample their trials
    loop = speaker_bootstrap(symmetric_scorers(emb), speakers, sampled, metrics, n_boot=40, seed=2)
    fast = all_pairs_speaker_bootstrap(symmetric_scorers(emb), speakers, metrics, n_boot=40, seed=2, max_trials=700)
    np.testing.assert_array_equal(fast["cos"]["eer"][2], loop["cos"]["eer"][2])


def test_the_all_pairs_bootstrap_of_plain_cosine_matches_the_loop_within_rounding() -> None:
    from cdsvae_eval.tasks.verification import all_pairs_speaker_bootstrap

    emb, speakers = clustered_embeddings(12, 4, 1.0, seed=3)
    loop = speaker_bootstrap(cosine(emb), speakers, all_pairs_trials, eer_only(), n_boot=200, seed=1)["x"]["eer"]
    fast = all_pairs_speaker_bootstrap(cosine(emb), speakers, eer_only(), n_boot=200, seed=1)["x"]["eer"]
    np.testing.assert_allclose(fast[2], loop[2], atol=1e-9)
    np.testing.assert_allclose(fast[:2], loop[:2], atol=1e-9)
    with pytest.raises(DataError, match="too few"):
        all_pairs_speaker_bootstrap(cosine(np.eye(2)), np.array([0, 1]), eer_only(), n_boot=5)
