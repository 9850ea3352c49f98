"""Speaker-verification back-ends: the PLDA score against the Gaussian likelihood ratio, each back-end on
planted codes where the right answer is known, and fits that see the training speakers only."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from cdsvae_eval.codes import CodeSet, FactorMeta
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.metrics import eer
from cdsvae_eval.tasks import backends
from cdsvae_eval.tasks.backends import BACKENDS, TwoCovariancePlda, fit_backend, fit_two_covariance
from cdsvae_eval.tasks.base import TaskInputs
from cdsvae_eval.tasks.speaker_eer import SpeakerEER, SpeakerEEROptions
from cdsvae_eval.tasks.verification import all_pairs_trials


def speech_codes(centres: dict[str, np.ndarray], noise: np.ndarray | dict[str, np.ndarray], utterances: int = 6,
                 segments: int = 2, seed: int = 0) -> CodeSet:
    """One utterance = ``segments`` rows of its speaker's centre plus Gaussian noise of covariance
    ``noise @ noise.T`` (the same draw for the utterance's rows); ``centres`` maps split -> (speakers, D),
    ``noise`` is one matrix or one per split."""
    rng = np.random.default_rng(seed)
    static, speaker, utt, split, names = [], [], [], [], []
    for split_name, split_centres in centres.items():
        mix = noise[split_name] if isinstance(noise, dict) else noise
        for s, centre in enumerate(split_centres):
            name = f"{split_name}{s}"
            names.append(name)
            for u in range(utterances):
                row = centre + mix @ rng.normal(size=mix.shape[1])
                static += [row] * segments
                speaker += [len(names) - 1] * segments
                utt += [f"{name}/U{u}"] * segments
                split += [split_name] * segments
    static = np.asarray(static, dtype=np.float32)
    return CodeSet(
        static=static,
        dynamic=rng.normal(size=(len(static), 3, 2)).astype(np.float32),
        labels={"speaker": np.asarray(speaker)},
        factors={"speaker": FactorMeta("static", names)},
        utt=np.asarray(utt),
        split=np.asarray(split),
        identity=np.asarray(names)[speaker],
    )


def score(codes: CodeSet, **options):
    return SpeakerEER().run(TaskInputs(codes=codes), SpeakerEEROptions(**{"n_boot": 20, **options}), seed=0,
                            out_dir=None)


def nuisance_codes(seed: int = 0, **splits: int) -> CodeSet:
    """Speakers differ by 1.5 along dims 0-1 only; dims 2-11 carry within-speaker noise of std 6 that swamps
    them in a cosine, but a linear map that discards dims 2-11 separates them."""
    rng = np.random.default_rng(seed)
    dims = 12
    noise = np.diag([0.3, 0.3] + [6.0] * (dims - 2))
    centres = {}
    for name, count in splits.items():
        c = np.zeros((count, dims))
        c[:, :2] = 1.5 * rng.normal(size=(count, 2))
        centres[name] = c
    return speech_codes(centres, noise, seed=seed)


def test_plda_llr_is_the_gaussian_likelihood_ratio() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 4)), rng.normal(size=(4, 2))
    within, between, mean = a @ a.T + 0.5 * np.eye(4), b @ b.T, rng.normal(size=4)
    plda = TwoCovariancePlda.from_covariances(between, within, mean)
    x = mean + rng.normal(size=(6, 4)) * 2
    total = between + within
    same = multivariate_normal(np.concatenate([mean, mean]), np.block([[total, between], [between, total]]))
    alone = multivariate_normal(mean, total)
    expected = np.array([[same.logpdf(np.concatenate([x[i], x[j]])) - alone.logpdf(x[i]) - alone.logpdf(x[j])
                          for j in range(6)] for i in range(6)])
    np.testing.assert_allclose(plda.score_matrix(x, x), expected, atol=1e-9)
    enrol, test = np.triu_indices(6, k=1)
    np.testing.assert_allclose(plda.pair_scorer(x)(enrol, test), expected[enrol, test], atol=1e-9)


def test_the_plda_fit_estimates_the_two_covariances_and_scores_like_the_true_model() -> None:
    rng = np.random.default_rng(1)
    between, within, per = np.diag([4.0, 1.0, 0.0, 0.0]), np.diag([0.5, 0.5, 2.0, 0.5]), 5

    def draw(speakers: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.multivariate_normal(np.zeros(4), between, size=speakers)
        labels = np.repeat(np.arange(speakers), per)
        return 3.0 + y[labels] + rng.multivariate_normal(np.zeros(4), within, size=len(labels)), labels

    train, train_speakers = draw(2000)
    fitted = fit_two_covariance(train, train_speakers)
    np.testing.assert_allclose(fitted.mean, 3.0, atol=0.1)
    unbasis = np.linalg.inv(fitted.basis)  # basis.T @ W @ basis = I and basis.T @ B @ basis = diag(psi)
    np.testing.assert_allclose(unbasis.T @ unbasis, within, atol=0.1)
    np.testing.assert_allclose(unbasis.T @ np.diag(fitted.psi) @ unbasis, between + within / per, atol=0.25)
    test, test_speakers = draw(40)
    trials = all_pairs_trials(test_speakers)
    true = TwoCovariancePlda.from_covariances(between, within, np.full(4, 3.0))
    fitted_eer = eer(fitted.pair_scorer(test)(trials.enrol, trials.test), trials.label)
    true_eer = eer(true.pair_scorer(test)(trials.enrol, trials.test), trials.label)
    assert abs(fitted_eer - true_eer) < 0.02


def test_lda_and_plda_beat_raw_cosine_when_speakers_separate_only_after_a_linear_map() -> None:
    metrics = score(nuisance_codes(train=30, test=12), backend="all").metrics
    assert metrics["eer_static"].value > 25.0
    assert metrics["eer_static_lda"].value < metrics["eer_static"].value - 15.0
    assert metrics["eer_static_plda"].value < metrics["eer_static"].value - 15.0
    assert metrics["eer_static_lda"].ci_high < metrics["eer_static"].ci_low


def test_norm_finds_speakers_that_differ_along_the_shared_mean() -> None:
    """Every embedding lies near one ray, speakers at different distances along it: the raw cosine of any
    two is about 1, but after subtracting the training mean the speakers point to opposite sides."""
    rng = np.random.default_rng(2)
    direction = np.ones(8) / np.sqrt(8)
    centres = {name: 10 * direction * rng.uniform(0.5, 1.5, size=(count, 1)) for name, count in
               (("train", 20), ("test", 10))}
    codes = speech_codes(centres, 0.05 * np.eye(8))
    metrics = score(codes, backend="all").metrics
    assert metrics["eer_static_norm"].value < metrics["eer_static"].value - 10.0


def test_backends_are_fitted_on_the_training_utterances_only(monkeypatch: pytest.MonkeyPatch) -> None:
    codes = nuisance_codes(train=8, test=6)
    seen = []

    def spy(name, emb, speakers):
        seen.append((name, np.asarray(emb).copy(), np.asarray(speakers).copy()))
        return fit_backend(name, emb, speakers)

    monkeypatch.setattr(backends, "fit_backend", spy)
    score(codes, backend="all")
    train_rows = codes.static[codes.split == "train"].astype(np.float64)
    assert {name for name, _, _ in seen} == set(BACKENDS) - {"none"}
    for _, emb, speakers in seen:
        assert set(speakers.tolist()) == {f"train{s}" for s in range(8)}
        if emb.shape[1] == train_rows.shape[1]:  # the static code's fit: every row is a training utterance
            matches = (np.abs(emb[:, None, :] - train_rows[None, :, :]).max(axis=2) < 1e-5).any(axis=1)
            assert matches.all() and len(emb) == 8 * 6


def test_a_backend_fitted_on_train_does_not_adapt_to_the_test_speakers() -> None:
    """Training speakers differ along dims 0-1 and vary a lot within themselves along dims 2-5; test speakers
    differ along dims 2-3 only, with little noise. LDA from 3 training speakers keeps 2 dimensions, those of
    the training speakers: the test speakers look alike in them (EER near 50%), while raw cosine separates
    them. An LDA fitted on the test speakers would keep dims 2-3 and separate them."""
    rng = np.random.default_rng(3)
    train, test = np.zeros((3, 6)), np.zeros((8, 6))
    train[:, :2] = 3 * rng.normal(size=(3, 2))
    test[:, 2:4] = 3 * rng.normal(size=(8, 2))
    noise = {"train": np.diag([0.3, 0.3, 10.0, 10.0, 10.0, 10.0]), "test": 0.2 * np.eye(6)}
    codes = speech_codes({"train": train, "test": test}, noise, utterances=20)
    result = score(codes, backend="lda")
    assert result.protocol["backends"]["lda"]["dims"]["static"] == 2
    assert result.protocol["backends"]["lda"]["fitted_on"] == {"split": "train", "utterances": 60, "speakers": 3}
    assert 35.0 < result.metrics["eer_static_lda"].value < 65.0
    assert score(codes).metrics["eer_static"].value < 20.0


def test_backend_all_scores_every_backend_on_the_same_trials_in_one_table(tmp_path) -> None:
    codes = nuisance_codes(train=10, test=6)
    result = SpeakerEER().run(TaskInputs(codes=codes), SpeakerEEROptions(n_boot=20, backend="all"), seed=0,
                              out_dir=tmp_path)
    rows = result.tables["eer"]
    assert [(row["backend"], row["code"]) for row in rows] == [(b, c) for b in BACKENDS for c in ("static", "dynamic")]
    alone = score(codes, backend="lda")
    assert alone.protocol["trials_checksum"] == result.protocol["trials_checksum"]
    assert alone.metrics["eer_static_lda"] == result.metrics["eer_static_lda"]  # same trials, same replicates
    assert score(codes).metrics["eer_static"] == result.metrics["eer_static"]
    assert {row["eer"] for row in rows if row["backend"] == "lda" and row["code"] == "static"} == {
        result.metrics["eer_static_lda"].value}
    assert "scores_static_plda.txt" in result.artifacts and "scores_dynamic.txt" in result.artifacts
    assert len((tmp_path / "scores_dynamic_lda.txt").read_text().splitlines()) == 36 * 35 // 2
    assert set(result.protocol["scoring"]) == set(BACKENDS)


def test_the_det_curves_are_those_of_the_backend_chosen_on_the_validation_split() -> None:
    codes = nuisance_codes(train=20, val=6, test=6)
    result = score(codes, backend="all")
    chosen = result.protocol["curve_backend"]
    assert chosen["name"] in ("lda", "plda") and "split 'val'" in chosen["chosen_by"]
    det = result.tables["det"]
    assert [row["code"] for row in det] == ["static", "dynamic"] and {row["backend"] for row in det} == {chosen["name"]}
    for row in det:
        assert row["far"][0] == 0.0 and row["frr"][0] == 1.0 and row["far"][-1] == 1.0 and row["frr"][-1] == 0.0
        assert np.all(np.diff(row["far"]) >= 0) and np.all(np.diff(row["frr"]) <= 0)
    static = next(row for row in det if row["code"] == "static")
    assert static["eer"] * 100 == pytest.approx(result.metrics[f"eer_static_{chosen['name']}"].value)


def test_without_a_validation_split_the_curves_are_raw_cosine() -> None:
    result = score(nuisance_codes(train=10, test=6), backend="all")
    assert result.protocol["curve_backend"]["name"] == "none"
    assert "no 'val' split" in result.protocol["curve_backend"]["chosen_by"]
    assert score(nuisance_codes(train=10, test=6), backend="norm").protocol["curve_backend"]["name"] == "norm"


def test_without_training_utterances_all_skips_the_fitted_backends_and_one_named_is_an_error() -> None:
    codes = nuisance_codes(test=6)
    result = score(codes, backend="all")
    assert [row["backend"] for row in result.tables["eer"]] == ["none", "none"]
    assert set(result.protocol["backends_skipped"]) == {"norm", "lda", "plda"}
    assert "no rows of split 'train'" in result.protocol["backends_skipped"]["lda"]
    with pytest.raises(DataError, match="back-end lda: .*no rows of split 'train'"):
        score(codes, backend="lda")


def test_lda_needs_training_speakers_with_repeated_utterances() -> None:
    with pytest.raises(DataError, match="needs a training speaker with 2 or more utterances"):
        fit_backend("lda", np.eye(4), np.arange(4))
    with pytest.raises(DataError, match="at least 2 training speakers"):
        fit_backend("plda", np.eye(4), np.zeros(4))


def test_lda_keeps_at_most_speakers_minus_one_dimensions() -> None:
    codes = nuisance_codes(train=5, test=6)
    assert score(codes, backend="lda").protocol["backends"]["lda"]["dims"] == {"static": 4, "dynamic": 2}


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"backend": "cosine"}, ConfigError, "option backend must be one of none, norm, lda, plda or all"),
    ({"backend": "lda", "train_split": "test"}, ConfigError, "must differ from the scored split"),
])
def test_bad_backend_options(options, error, message) -> None:
    with pytest.raises(error, match=message):
        score(nuisance_codes(train=4, test=4), **options)


def test_the_lda_back_end_is_the_trainers_lda_and_scores_like_a_textbook_lda() -> None:
    """One LDA: the ``lda`` back-end maps embeddings as :func:`metrics.fit_lda` does (the trainer's validation EER),
    and its cosine scores equal those of LDA solved independently (eigenvectors of W^-1 B, scaled to v' W v = 1;
    cosine scores do not depend on the sign of each direction)."""
    from cdsvae_eval.metrics import fit_lda

    rng = np.random.default_rng(3)
    speakers = np.repeat(np.arange(6), 8)
    emb = rng.normal(size=(6, 5))[speakers] * 2.0 + rng.normal(size=(48, 5)) @ np.diag([1.0, 0.5, 3.0, 0.2, 1.5])
    probe = rng.normal(size=(10, 5))
    fitted = fit_backend("lda", emb, speakers)
    mean, projection = fit_lda(emb, speakers)
    np.testing.assert_array_equal(fitted.transform(probe), (probe - mean) @ projection)

    centred = emb - emb.mean(axis=0)
    means = np.stack([centred[speakers == s].mean(axis=0) for s in range(6)])
    between = sum((speakers == s).sum() * np.outer(means[s], means[s]) for s in range(6)) / len(emb)
    residual = centred - means[speakers]
    within = residual.T @ residual / (len(emb) - 6)
    within += 1e-6 * np.trace(within) / 5 * np.eye(5)
    values, vectors = np.linalg.eig(np.linalg.solve(within, between))
    order = np.argsort(values.real)[::-1][:5]
    vectors = vectors.real[:, order]
    vectors /= np.sqrt(np.einsum("ij,ik,kj->j", vectors, within, vectors))
    reference = (probe - emb.mean(axis=0)) @ vectors
    np.testing.assert_allclose(fitted.score_matrix(fitted.transform(probe), fitted.transform(probe)),
                               fitted.score_matrix(reference, reference), atol=1e-8)
