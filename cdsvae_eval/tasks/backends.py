"""Speaker-verification back-ends: how utterance embeddings are turned into trial scores.

Every back-end is fitted on the TRAINING split's utterances (its own speakers) and then applied, unchanged,
to the evaluation utterances; nothing of the evaluation split reaches a fit. Applied identically to z_s,
mean z_1:T and the MFCC baseline:

- ``none``: cosine of the raw embeddings (the paper's scoring; fits nothing);
- ``norm``: subtract the training mean, length-normalise, cosine;
- ``lda``: subtract the training mean, project on the leading ``min(D, speakers - 1)`` directions of linear
  discriminant analysis (generalised eigenvectors of the between- and within-speaker scatter, the latter
  with a ridge of 1e-6 of its mean variance so that it is invertible), cosine;
- ``plda``: subtract the training mean, length-normalise (Garcia-Romero & Espy-Wilson 2011), then score the
  log-likelihood ratio of a two-covariance PLDA (x = m + y + e, speaker y ~ N(0, B), residual e ~ N(0, W))
  whose m, B and W are moment estimates from the training utterances so processed: their mean, the
  covariance of the speaker means and the pooled within-speaker covariance (with the same ridge).

The two-covariance log-likelihood ratio is computed exactly in the basis that diagonalises W to I and B to
diag(psi): per dimension, ``log N([u1, u2]; 0, [[1+psi, psi], [psi, 1+psi]]) - log N(u1; 0, 1+psi) -
log N(u2; 0, 1+psi)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from cdsvae_eval.codes import CodeSet
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.metrics import fit_lda, speaker_scatter
from cdsvae_eval.names import MFCC_CODE, RAW_COSINE_BACKEND
from cdsvae_eval.tasks.speaker_embeddings import Utterances, add_mfcc, utterance_embeddings
from cdsvae_eval.tasks.verification import PairScorer, cosine_pair_scorer, unit_rows

BACKENDS = (RAW_COSINE_BACKEND, "norm", "lda", "plda")
ALL_BACKENDS = "all"
DESCRIPTIONS = {
    RAW_COSINE_BACKEND: "cosine of the raw embeddings",
    "norm": "training-mean subtraction, length-norm, cosine",
    "lda": "training-mean subtraction, LDA to min(D, training speakers - 1) dims, cosine",
    "plda": "training-mean subtraction, length-norm, two-covariance PLDA log-likelihood ratio",
}
_GRAM_MAX_ROWS = 4096
_CHUNK_FLOATS = 1 << 22


def backend_names(option: str) -> tuple[str, ...]:
    """The back-ends an option value asks for: one name, or every back-end for ``all``."""
    if option == ALL_BACKENDS:
        return BACKENDS
    if option not in BACKENDS:
        raise ConfigError(f"option backend must be one of {', '.join(BACKENDS)} or {ALL_BACKENDS}, got {option!r}")
    return (option,)


def needs_training_data(name: str) -> bool:
    return name != RAW_COSINE_BACKEND


@dataclass(frozen=True)
class TwoCovariancePlda:
    """A two-covariance PLDA in its diagonal basis: ``u = (x - mean) @ basis`` has within-speaker covariance I
    and between-speaker covariance diag(psi)."""

    mean: np.ndarray
    basis: np.ndarray
    psi: np.ndarray

    @classmethod
    def from_covariances(cls, between: np.ndarray, within: np.ndarray,
                         mean: np.ndarray | None = None) -> "TwoCovariancePlda":
        """The model x = mean + y + e with y ~ N(0, ``between``) and e ~ N(0, ``within``), positive definite."""
        from scipy.linalg import eigh

        psi, basis = eigh(between, within)
        return cls(mean=np.zeros(len(between)) if mean is None else np.asarray(mean, dtype=np.float64),
                   basis=basis, psi=np.clip(psi, 0.0, None))

    def project(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.basis

    def llr_terms(self) -> tuple[float, np.ndarray, np.ndarray]:
        """``(constant, a, b)``: LLR(u1, u2) = constant + sum_d a_d (u1_d^2 + u2_d^2) + b_d u1_d u2_d."""
        psi = self.psi
        constant = float(np.sum(np.log1p(psi) - 0.5 * np.log1p(2.0 * psi)))
        a = 0.5 / (1.0 + psi) - 0.5 * (1.0 + psi) / (1.0 + 2.0 * psi)
        b = psi / (1.0 + 2.0 * psi)
        return constant, a, b

    def score_matrix(self, enrol: np.ndarray, test: np.ndarray) -> np.ndarray:
        """LLR of every (enrol row, test row): shape (len(enrol), len(test))."""
        constant, a, b = self.llr_terms()
        u, v = self.project(enrol), self.project(test)
        return constant + (u**2 @ a)[:, None] + (v**2 @ a)[None, :] + (u * b) @ v.T

    def pair_scorer(self, emb: np.ndarray) -> PairScorer:
        constant, a, b = self.llr_terms()
        u = self.project(emb)
        squares = u**2 @ a
        if len(u) <= _GRAM_MAX_ROWS:
            cross = (u * b) @ u.T
            return lambda enrol, test: constant + squares[enrol] + squares[test] + cross[enrol, test]
        return partial(_chunked_llr, constant, squares, u * b, u)


def _chunked_llr(constant: float, squares: np.ndarray, weighted: np.ndarray, u: np.ndarray,
                 enrol: np.ndarray, test: np.ndarray) -> np.ndarray:
    scores = np.empty(len(enrol))
    chunk = max(1, _CHUNK_FLOATS // max(1, u.shape[1]))
    for start in range(0, len(enrol), chunk):
        e, t = enrol[start:start + chunk], test[start:start + chunk]
        scores[start:start + chunk] = constant + squares[e] + squares[t] + np.einsum("ij,ij->i", weighted[e], u[t])
    return scores


@dataclass(frozen=True)
class FittedBackend:
    """A back-end fitted on training utterances: ``transform`` maps embeddings into its scoring space, where
    trials are scored by cosine, or by the PLDA log-likelihood ratio when ``plda`` is set. ``fitted_on``
    counts what the fit saw (training utterances and speakers) and the output dimension."""

    name: str
    mean: np.ndarray | None = None
    projection: np.ndarray | None = None
    length_norm: bool = False
    plda: TwoCovariancePlda | None = None
    fitted_on: dict[str, int] | None = None

    def transform(self, emb: np.ndarray) -> np.ndarray:
        x = np.asarray(emb, dtype=np.float64)
        if self.mean is not None:
            x = x - self.mean
        if self.projection is not None:
            x = x @ self.projection
        return unit_rows(x) if self.length_norm else x

    def pair_scorer(self, emb: np.ndarray) -> PairScorer:
        """Scores of trials (utterance indices into ``emb``'s rows)."""
        x = self.transform(emb)
        return self.plda.pair_scorer(x) if self.plda is not None else cosine_pair_scorer(x)

    def score_matrix(self, enrol: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Scores of every (enrol row, test row), both already in the scoring space (:meth:`transform`)."""
        if self.plda is not None:
            return self.plda.score_matrix(enrol, test)
        return unit_rows(enrol) @ unit_rows(test).T


def fit_backend(name: str, emb: np.ndarray, speakers: np.ndarray) -> FittedBackend:
    """Fit back-end ``name`` on training utterance embeddings ``emb`` (U, D) of ``speakers`` (U,)."""
    emb = np.asarray(emb, dtype=np.float64)
    speakers = np.asarray(speakers)
    if name == RAW_COSINE_BACKEND:
        return FittedBackend(name)
    if len(emb) == 0:
        raise DataError(f"back-end {name}: no training utterances to fit it on")
    counts = {"utterances": len(emb), "speakers": int(len(np.unique(speakers)))}
    mean = emb.mean(axis=0)
    if name == "norm":
        return FittedBackend(name, mean=mean, length_norm=True, fitted_on={**counts, "dims": emb.shape[1]})
    if name == "lda":
        mean, projection = fit_lda(emb, speakers, name)
        return FittedBackend(name, mean=mean, projection=projection,
                             fitted_on={**counts, "dims": projection.shape[1]})
    if name == "plda":
        plda = fit_two_covariance(unit_rows(emb - mean), speakers)
        return FittedBackend(name, mean=mean, length_norm=True, plda=plda,
                             fitted_on={**counts, "dims": int(np.count_nonzero(plda.psi > 1e-9))})
    raise ConfigError(f"unknown back-end {name!r} (known: {', '.join(BACKENDS)})")


def fit_two_covariance(emb: np.ndarray, speakers: np.ndarray) -> TwoCovariancePlda:
    """A two-covariance PLDA from utterance embeddings by moments (:func:`~cdsvae_eval.metrics.speaker_scatter`);
    the between covariance, that of the speaker means, also holds the within covariance over each speaker's
    utterance count."""
    centre = emb.mean(axis=0)
    between, within = speaker_scatter(emb - centre, speakers, "plda")
    return TwoCovariancePlda.from_covariances(between, within, centre)


@dataclass
class BackendFits:
    """The back-ends fitted for each code (``fitted[backend][code]``), what each fit saw, and the back-ends
    that could not be fitted (with ``backend=all``), with the reason."""

    fitted: dict[str, dict[str, FittedBackend]]
    record: dict[str, Any]
    skipped: dict[str, str]


def fit_backends(codes: CodeSet, utterances: Utterances, options: Any, dataset: Any, task: str) -> BackendFits:
    """Fit the back-ends ``options.backend`` asks for on the ``options.train_split`` utterances, one per code
    of ``utterances`` (the MFCC baseline's from the training utterances' audio). With ``backend=all`` a
    back-end that cannot be fitted is skipped with its reason; a back-end named alone raises instead."""
    names = backend_names(options.backend)
    fitted: dict[str, dict[str, FittedBackend]] = {}
    record: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    train: Utterances | None = None
    for name in names:
        if not needs_training_data(name):
            fitted[name] = {code: FittedBackend(name) for code in utterances.embeddings}
            continue
        try:
            if train is None:
                train = _training_utterances(codes, utterances, options, dataset, task)
            fitted[name] = {code: fit_backend(name, train.embeddings[code], train.speakers)
                            for code in utterances.embeddings}
        except DataError as error:
            if options.backend != ALL_BACKENDS:
                raise DataError(f"task {task}, back-end {name}: {error}") from None
            skipped[name] = str(error)
            continue
        record[name] = {"fitted_on": {"split": options.train_split, "utterances": len(train),
                                      "speakers": train.n_speakers},
                        "dims": {code: fit.fitted_on["dims"] for code, fit in fitted[name].items()}}
    return BackendFits(fitted, record, skipped)


def _training_utterances(codes: CodeSet, utterances: Utterances, options: Any, dataset: Any, task: str) -> Utterances:
    if codes.split is None:
        raise DataError("the codes have no 'split' field, so there are no training utterances to fit it on")
    if options.train_split == options.split:
        raise ConfigError(f"task {task}: a back-end is fitted on train_split, which must differ from the scored "
                          f"split ({options.split!r})")
    train = utterance_embeddings(codes, options.speaker_factor, options.train_split, task)
    shared = np.intersect1d(train.ids, utterances.ids)
    if len(shared):
        raise DataError(f"split {options.train_split!r} and split {options.split!r} share utterance {shared[0]!r}")
    if MFCC_CODE in utterances.embeddings:
        add_mfcc(train, codes, dataset)
    return train
