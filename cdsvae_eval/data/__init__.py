"""Datasets behind one sequence interface with ground-truth factor labels."""

from cdsvae_eval.data.base import Factor, SequenceDataset, SequenceSplit
from cdsvae_eval.data.registry import get_dataset, list_datasets, register_dataset

__all__ = ["Factor", "SequenceDataset", "SequenceSplit", "get_dataset", "list_datasets", "register_dataset"]
