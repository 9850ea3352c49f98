"""Batches of utterance blocks: each batch is made of blocks of ``size`` segments of one utterance that do not
overlap each other, so that the utterance-level loss terms can compare segments of one utterance.

An utterance's segments are split into ``gap`` interleaved classes by their position in the utterance (with
segments ``frames`` long that hop ``frames / gap``, segments of one class do not overlap); each class is cut
into blocks of ``size`` segments, drawn in random order, and the blocks of all utterances are shuffled. A class
whose segments do not fill a last block leaves those segments out of that epoch (others are drawn next
epoch), so every epoch has the same number of rows. Drawn on the CPU from the trainer's data generator."""

from __future__ import annotations

import numpy as np
import torch

from cdsvae_eval.errors import FieldError


class UtteranceBlocks:
    """The epoch orders of a split whose rows are grouped into utterances, rows of an utterance in time order."""

    def __init__(self, groups: np.ndarray, gap: int, size: int):
        if size < 2:
            raise FieldError("segments_per_utterance", f"must be >= 2 for utterance blocks, got {size}")
        _, utterance, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
        order = np.argsort(utterance, kind="stable")
        position = np.empty(len(utterance), dtype=np.int64)
        position[order] = np.arange(len(utterance)) - (np.cumsum(counts) - counts)[utterance[order]]
        _, self.block_class, class_counts = np.unique(utterance * gap + position % gap, return_inverse=True,
                                                      return_counts=True)
        self.size = size
        self.class_counts = torch.as_tensor(class_counts)
        self.blocks_per_class = self.class_counts // size
        if int(self.blocks_per_class.sum()) == 0:
            raise FieldError("segments_per_utterance", f"{size} is more than any utterance holds of non-overlapping "
                                                       f"segments ({int(class_counts.max())} at most)")
        self.block_class = torch.as_tensor(self.block_class)

    @property
    def rows_per_epoch(self) -> int:
        return int(self.blocks_per_class.sum()) * self.size

    def order(self, generator: torch.Generator) -> torch.Tensor:
        """Row indices of one epoch, ``rows_per_epoch`` long: consecutive runs of ``size`` rows are one block."""
        permuted = torch.randperm(len(self.block_class), generator=generator)
        classes = self.block_class[permuted]
        by_class = torch.argsort(classes, stable=True)
        rows, classes = permuted[by_class], classes[by_class]
        starts = torch.cumsum(self.class_counts, 0) - self.class_counts
        position = torch.arange(len(rows)) - starts[classes]
        kept = position < self.blocks_per_class[classes] * self.size
        rows, classes, position = rows[kept], classes[kept], position[kept]
        first_block = torch.cumsum(self.blocks_per_class, 0) - self.blocks_per_class
        block = first_block[classes] + position // self.size
        blocks = int(self.blocks_per_class.sum())
        block_rank = torch.empty(blocks, dtype=torch.long)
        block_rank[torch.randperm(blocks, generator=generator)] = torch.arange(blocks)
        return rows[torch.argsort(block_rank[block] * self.size + position % self.size)]
