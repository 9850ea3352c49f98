"""Datasets by name: built-ins (lazy ``module:attr``, nothing heavy loads early), factories registered in
code, and third-party datasets published through the ``cdsvae_eval.datasets`` entry-point group
(``my-data = my_package.module:MyDataset``, a :class:`SequenceDataset` subclass or a factory returning one;
its first docstring line is its description in ``data list``)."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from cdsvae_eval.data.base import CountUnits, SequenceDataset
from cdsvae_eval.errors import DataError, FieldError
from cdsvae_eval.registry import LazyRegistry

DatasetFactory = Callable[..., SequenceDataset]
ENTRY_POINT_GROUP = "cdsvae_eval.datasets"

_BUILTIN: dict[str, str] = {
    "flare-sprites": "cdsvae_eval.data.flare_sprites:FlareSprites",
    "sprites": "cdsvae_eval.data.sprites:Sprites",
    "mug": "cdsvae_eval.data.mug:Mug",
    "timit": "cdsvae_eval.data.timit:TimitSegments",
    "tts-timit": "cdsvae_eval.data.tts_timit:TtsTimit",
}
_DESCRIPTIONS: dict[str, str] = {
    "flare-sprites": "Sprites-like animated characters composited from the Debian flare-game art (embedded)",
    "sprites": "the Sprites benchmark, read from --data-root (npy/ folder or C-DSVAE data.pkl)",
    "mug": "the MUG Facial Expression Database, read from --data-root: 15-frame takes, 6 expressions, by subject",
    "timit": "LDC TIMIT read from --data-root: 200 ms log-mel segments with speaker and phone labels",
    "tts-timit": "a TIMIT-layout corpus synthesised locally from real recorded voices (mbrola/flite)",
}


def _check_factory(name: str, factory: Any, where: str) -> None:
    if not callable(factory):
        raise DataError(f"dataset {name!r}: {where} is not a dataset class or factory")


DATASETS = LazyRegistry(kind="dataset", builtins=_BUILTIN, entry_point_group=ENTRY_POINT_GROUP,
                        check=_check_factory, error=DataError)


def register_dataset(name: str, description: str = "") -> Callable[[DatasetFactory], DatasetFactory]:
    """Register a dataset factory under ``name`` (notebooks and tests; packages use the entry point)."""

    def decorator(factory: DatasetFactory) -> DatasetFactory:
        DATASETS.register(name, factory)
        if description:
            _DESCRIPTIONS[name] = description
        return factory

    return decorator


def list_datasets() -> dict[str, str]:
    """Names of all datasets with a one-line description (a plug-in's is read from its docstring, so
    listing imports plug-ins but no built-in)."""
    return {name: _description(name) for name in DATASETS.names()}


def dataset_source(name: str) -> str:
    """``builtin``, ``registered in <module>`` or ``entry point <distribution>``."""
    return DATASETS.source(name)


def _description(name: str) -> str:
    if name in _DESCRIPTIONS:
        return _DESCRIPTIONS[name]
    try:
        factory = DATASETS.get(name)
    except DataError as error:
        return f"unavailable: {error}"
    doc_lines = (factory.__doc__ or "").strip().splitlines()
    return doc_lines[0] if doc_lines else ""


def dataset_factory(name: str) -> DatasetFactory:
    """The class (or factory) registered under ``name``, imported on first use."""
    return DATASETS.get(name)


def dataset_modality(name: str) -> str:
    return getattr(dataset_factory(name), "modality", "video")


def dataset_units(name: str) -> CountUnits:
    """What dataset ``name`` calls its sequences, identities and groups (generic words for a factory that
    does not say)."""
    units = getattr(dataset_factory(name), "units", None)
    return units if isinstance(units, CountUnits) else CountUnits()


def dataset_option_names(name: str) -> tuple[set[str], set[str]] | None:
    """The keyword options the factory of ``name`` takes and, of those, the ones it requires; None if it
    takes any keyword."""
    parameters = inspect.signature(dataset_factory(name)).parameters.values()
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    named = [p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    return {p.name for p in named}, {p.name for p in named if p.default is inspect.Parameter.empty}


def check_dataset_options(name: str, options: dict[str, Any]) -> None:
    """A :class:`FieldError` naming ``dataset_options.<key>`` for an option the dataset does not take or
    a required one that is missing (``data_root`` of datasets you bring yourself)."""
    accepted = dataset_option_names(name)
    if accepted is None:
        return
    takes, required = accepted
    given = {key for key, value in options.items() if value is not None}
    for key in sorted(given - takes):
        listed = ", ".join(sorted(takes)) or "no options"
        raise FieldError(f"dataset_options.{key}", f"is not an option of dataset {name!r} (it takes: {listed})")
    for key in sorted(required - given):
        raise FieldError(f"dataset_options.{key}", f"is required by dataset {name!r}: {_description(name)}")


def get_dataset(name: str, **options: Any) -> SequenceDataset:
    """Instantiate the dataset ``name`` with its options (``data_root``, ``resolution``, ...)."""
    check_dataset_options(name, options)
    return dataset_factory(name)(**{k: v for k, v in options.items() if v is not None})
