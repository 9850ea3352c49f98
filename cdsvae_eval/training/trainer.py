"""The C-DSVAE trainer: in-memory data on the device, on-device augmentations, bf16 where the hardware has it,
atomic checkpoints, exact resume (mid-epoch too), clean Ctrl-C, NaN guard, torchrun DDP.

The loop and the checkpoint selection live here; the run folder (:mod:`.run_folder`), the RNG state
(:mod:`.rng_state`), the views (:mod:`.views`), the validation figures (:mod:`.validation`) and the
progress display (:mod:`.progress`) each have their own module; device and precision come from
:mod:`cdsvae_eval.device`."""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NoReturn

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from cdsvae_eval.atomic import append_text, write_json
from cdsvae_eval.config import TrainConfig
from cdsvae_eval.config_checks import check_train_config
from cdsvae_eval.data.base import SequenceDataset, SequenceSplit
from cdsvae_eval.data.registry import get_dataset
from cdsvae_eval.device import (
    as_float, flush_denormals_on, resolve_device, resolve_precision, reuse_freed_memory_on)
from cdsvae_eval.errors import CheckpointError, ConfigError, FieldError
from cdsvae_eval.folder_lock import folder_lock
from cdsvae_eval.models.factory import build_model
from cdsvae_eval.models.utterance_offset import UtteranceOffsetPenalty
from cdsvae_eval.models.checkpoint import load_checkpoint, save_checkpoint
from cdsvae_eval.models.selection import SPEAKER_RECORD, SWAP_RECORD, SelectionRule, selection_rule
from cdsvae_eval.models.verdict import Verdict, judge
from cdsvae_eval.names import (
    KL_DYNAMIC, KL_STATIC, MOTION_FACTOR, SWAP_IDENTITY_ACC, SWAP_IDENTITY_CHANCE, SWAP_MOTION_ACC, SWAP_MOTION_CHANCE,
)
from cdsvae_eval.path_checks import check_not_inside, check_output_dir
from cdsvae_eval.training.distributed import DistInfo, barrier, init_distributed, launched_as_main, shutdown
from cdsvae_eval.training.batches import UtteranceBlocks
from cdsvae_eval.training.objective import TERMS, build_critics, contrastive_scale, objective, uses_utterance_blocks
from cdsvae_eval.training.progress import StopFlag, progress_bar
from cdsvae_eval.training.rng_state import capture_rng_state, restore_rng_state, seed_everything
from cdsvae_eval.training.run_folder import (
    check_run_folder, record_extension, remove_previous_run, remove_run_files, write_run_config,
)
from cdsvae_eval.training.validation import validation_code_usage, validation_speaker_eer, validation_swaps
from cdsvae_eval.training.views import (
    GroupPartners, content_partners, contrastive_views, negative_groups, non_overlapping_gap, utterance_index,
)
_RESUME_KEYS = ("model_state", "optimizer_state", "epoch", "step_in_epoch", "epoch_generator_state", "partial_sums",
                "rng", "best_score", "best_epoch", "history", "dataset")


class TrainingDiverged(CheckpointError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class TrainSummary:
    run_dir: Path
    epochs_done: int
    interrupted: bool
    final_train: dict[str, float]
    final_val: dict[str, float]
    best_epoch: int | None
    best_score: float | None
    history: list[dict[str, Any]] = field(default_factory=list)
    # the signal (SIGINT, SIGTERM) that interrupted the run; the CLI exits with 128 + it
    stop_signal: int | None = None
    # how best.pt was chosen (models.selection), and the notes of figures the validation split could not support
    selection: str = ""
    notes: list[str] = field(default_factory=list)
    # False on DDP ranks other than 0, which write nothing and keep no history
    is_main: bool = True

    @property
    def verdict(self) -> Verdict | None:
        """The verdict of the best epoch's validation swaps and KLs (None when no swaps with their chance
        levels were scored: records written by older versions lack them)."""
        scored = [record for record in self.history if SWAP_MOTION_CHANCE in record.get(SWAP_RECORD, {})]
        if not scored:
            return None
        record = next((r for r in scored if r["epoch"] == self.best_epoch), scored[-1])
        swap, val = record[SWAP_RECORD], record["val"]
        return judge(swap[SWAP_MOTION_ACC], swap[SWAP_IDENTITY_ACC], swap[SWAP_MOTION_CHANCE],
                     swap[SWAP_IDENTITY_CHANCE], val.get(KL_STATIC), val.get(KL_DYNAMIC))


def split_to_device(split: SequenceSplit, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(split.x)).to(device)


class Trainer:
    """Train one run. ``Trainer(config, run_dir).fit()``; use ``resume=True`` to continue."""

    def __init__(self, config: TrainConfig, run_dir: str | Path, resume: bool = False, force: bool = False,
                 progress: bool = True, on_epoch: Callable[[dict[str, Any]], None] | None = None):
        check_train_config(config)
        check_output_dir(run_dir, "run_dir")
        check_not_inside(run_dir, config.dataset_options.get("data_root"), "run_dir")
        self.config = config
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.progress = progress
        self.on_epoch = on_epoch
        self.device = resolve_device(config.device)
        self.autocast_dtype = resolve_precision(config.precision, self.device, config.mode)
        if config.cpu_reuse_freed_memory:
            reuse_freed_memory_on(self.device)
        self.dist: DistInfo = init_distributed(self.device.type)
        if self.dist.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.dist.local_rank)
        self.folder = check_run_folder(self.run_dir, config, resume, force)

        self.dataset = get_dataset(config.dataset, **config.dataset_options)
        self._check_dataset_fits_model()
        self.train_split = self.dataset.split(self.dataset.training_split)
        self.val_split = self.dataset.split(self.dataset.validation_split)
        self.train_x = split_to_device(self.train_split, self.device)
        self.val_x = split_to_device(self.val_split, self.device)
        splits = {"train": self.train_split, "val": self.val_split}
        self.partners: dict[str, GroupPartners | None] = {
            name: content_partners(config.loss.content_view, split, self.dataset, self.device)
            for name, split in splits.items()}
        self.negative_groups: dict[str, torch.Tensor | None] = {
            name: negative_groups(config.loss.static_negatives, split, self.device) for name, split in splits.items()}
        self.utterances: dict[str, torch.Tensor | None] = {
            name: utterance_index(split, self.device, "segments_per_utterance", self.dataset)
            if config.segments_per_utterance else None for name, split in splits.items()}
        self.blocks = (UtteranceBlocks(self.train_split.groups, non_overlapping_gap(self.dataset),
                                       config.segments_per_utterance) if config.segments_per_utterance else None)
        rows_per_epoch = len(self.train_split) if self.blocks is None else self.blocks.rows_per_epoch
        per_step = config.batch_size * self.dist.world_size
        if per_step > rows_per_epoch:
            raise FieldError(
                "batch_size", f"{config.batch_size} (x{self.dist.world_size} processes) is larger than the "
                f"training split ({rows_per_epoch} sequences{'' if self.blocks is None else ' in utterance blocks'})"
            )
        self.steps_per_epoch = rows_per_epoch // per_step
        self.selection: SelectionRule = selection_rule(config, self.dataset, len(np.unique(self.val_split.identity)))
        self.scores_swaps = swappable(self.dataset, self.val_split)
        self.scores_speakers = self.dataset.modality == "audio" and self.val_split.groups is not None
        self.notes: list[str] = []

        seed_everything(config.seed + self.dist.rank)
        self.model = build_model(config.model).to(self.device)
        self.critics = build_critics(config.model, config.loss).to(self.device)
        # the running utterance means of loss.utterance_offset (training utterances only)
        self.offset_penalty = (UtteranceOffsetPenalty(int(self.utterances["train"].max()) + 1,
                                                      config.model.dynamic_dim).to(self.device)
                               if config.loss.utterance_offset > 0 else None)
        optimised_cuda = self.device.type == "cuda" and config.mode == "optimized"
        if config.mode == "optimized" and config.model.modality == "video":
            # channels_last convolutions: measured ~1.2x per step on CPU too (bench/RESULTS.md)
            self.model = self.model.to(memory_format=torch.channels_last)
        trained = list(self.model.parameters()) + list(self.critics.parameters())
        self.optimizer = torch.optim.Adam(
            trained, lr=config.lr, betas=(0.9, 0.999),
            **({"fused": True} if optimised_cuda else {"foreach": True}),
        )
        self.step_model: torch.nn.Module = self.model
        if self.dist.enabled:
            self.step_model = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        if config.compile:
            self.step_model = torch.compile(self.step_model)
        self.data_generator = torch.Generator().manual_seed(config.seed)
        self.augment_generator = torch.Generator(device=self.device).manual_seed(config.seed * 1000 + self.dist.rank)

        self.start_epoch = 0
        self.start_step = 0
        self.epoch_generator_state: torch.Tensor | None = None
        self.partial_sums: torch.Tensor | None = None
        self.best_score: float | None = None
        self.best_epoch: int | None = None
        self.history: list[dict[str, Any]] = []
        if resume:
            self._load_resume_state()

    @property
    def precision_name(self) -> str:
        """``bf16`` when training under bf16 autocast, else ``fp32``."""
        return "fp32" if self.autocast_dtype is None else "bf16"

    # --- set-up ---------------------------------------------------------------------------
    def _check_dataset_fits_model(self) -> None:
        shape = tuple(self.dataset.sequence_shape)
        model = self.config.model
        if model.modality != self.dataset.modality:
            raise ConfigError(f"model.modality is {model.modality!r} but dataset {self.dataset.name!r} is {self.dataset.modality}")
        expected = ((model.frames, model.channels, model.image_size, model.image_size)
                    if model.modality == "video" else (model.frames, model.feature_dim))
        if shape != expected:
            raise ConfigError(
                f"dataset {self.dataset.name!r} gives sequences of shape {shape}, the model expects {expected} "
                "(check the preset's resolution / model.image_size / model.feature_dim)")

    def _state(self, epoch: int, step: int, sums: torch.Tensor | None) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "model_state": self.model.state_dict(),
            "critic_state": self.critics.state_dict(),
            "offset_state": None if self.offset_penalty is None else self.offset_penalty.state_dict(),
            "optimizer_state": self.optimizer.state_dict(),
            "epoch": epoch,
            "step_in_epoch": step,
            "epoch_generator_state": self.epoch_generator_state,
            "partial_sums": None if sums is None else sums.cpu(),
            "rng": capture_rng_state(self.device, self.data_generator, self.augment_generator),
            "best_score": self.best_score,
            "best_epoch": self.best_epoch,
            "history": self.history,
            "dataset": {"name": self.dataset.name, "fingerprint": self.dataset.fingerprint()},
            "selection_rule": self.selection.description,
        }

    def _load_resume_state(self) -> None:
        last = self.run_dir / "last.pt"
        if not last.is_file():
            raise CheckpointError(f"resume=True: {self.run_dir} holds no last.pt")
        state = load_checkpoint(last)
        missing = [key for key in _RESUME_KEYS if key not in state]
        if missing:
            raise CheckpointError(f"resume=True: {last} lacks {', '.join(missing)}, so it cannot be resumed")
        if state["dataset"]["fingerprint"] != self.dataset.fingerprint():
            raise CheckpointError(f"resume=True: the dataset changed since {last} was written (fingerprint differs)")
        try:
            self.model.load_state_dict(state["model_state"])
            self.critics.load_state_dict(state["critic_state"] or {})
            if self.offset_penalty is not None:
                self.offset_penalty.load_state_dict(state["offset_state"])
            self.optimizer.load_state_dict(state["optimizer_state"])
        except (RuntimeError, ValueError, KeyError) as error:
            raise CheckpointError(f"resume=True: {last} does not fit this run's model "
                                  f"({str(error).splitlines()[0]})") from None
        restore_rng_state(state["rng"], self.device, self.data_generator, self.augment_generator)
        self.start_epoch = state["epoch"]
        self.start_step = state["step_in_epoch"]
        self.epoch_generator_state = state["epoch_generator_state"]
        self.partial_sums = None if state["partial_sums"] is None else state["partial_sums"].to(self.device)
        self.best_score = state["best_score"]
        self.best_epoch = state["best_epoch"]
        self.history = state["history"]

    # --- one step -------------------------------------------------------------------------
    def _content_source(self, x: torch.Tensor, clips: torch.Tensor | None, split: str) -> torch.Tensor:
        """The clips whose shuffled frames make the content view: x itself, or partners of the same identity
        or utterance."""
        partners = self.partners[split]
        if partners is None or clips is None:
            return x
        data = self.train_x if split == "train" else self.val_x
        return as_float(data[partners.draw(clips, self.augment_generator)])

    def _views(self, x: torch.Tensor, clips: torch.Tensor | None = None,
               split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
        return contrastive_views(x, self._content_source(x, clips, split), self.config.model.modality,
                                 self.config.loss.motion_view_strength, self.augment_generator)

    def _swap_rows(self, rows: int) -> torch.Tensor | None:
        """For ``loss.contrastive_swap``: each row's partner whose z_s re-voices it, another row of the batch (the
        batch rolled by a random non-zero offset)."""
        if self.config.loss.contrastive_swap <= 0:
            return None
        offset = torch.randint(1, rows, (1,), generator=self.augment_generator, device=self.device)
        return (torch.arange(rows, device=self.device) + offset) % rows

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _loss(self, model: torch.nn.Module, x: torch.Tensor, clips: torch.Tensor | None = None,
              split: str = "train", epochs_done: float | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        x_content, x_motion = self._views(x, clips, split)
        if self.device.type == "cuda" and x.dim() == 5:
            x, x_content, x_motion = (v.contiguous() for v in (x, x_content, x_motion))
        with self._autocast():
            outputs = model(x, x_content, x_motion, decode_views=self.config.mode == "release",
                            static_from_content=self.config.loss.decode_static_from == "content",
                            swap_rows=self._swap_rows(len(x)))
        scale = 1.0 if epochs_done is None else contrastive_scale(self.config.loss, epochs_done)
        groups, utterances = self.negative_groups[split], self.utterances[split]
        return objective(outputs, x, self.config.loss, dataset_size=len(self.train_split), contrastive_scale=scale,
                         static_groups=None if groups is None or clips is None else groups[clips],
                         utterances=None if utterances is None or clips is None else utterances[clips],
                         critics=self.critics, offset_penalty=self.offset_penalty if split == "train" else None)

    def train_step(self, x: torch.Tensor, clips: torch.Tensor | None = None,
                   epochs_done: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimiser step; returns the total loss and the stacked terms, without syncing. ``clips``
        are the rows of the training split in ``x`` (for identity-paired views), ``epochs_done`` the
        fractional epoch (for the contrastive warm-up)."""
        loss, terms = self._loss(self.step_model, x, clips, "train", epochs_done)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach(), torch.stack([terms[name].detach() for name in TERMS])

    # --- evaluation -----------------------------------------------------------------------
    @torch.no_grad()
    def validate(self, max_sequences: int = 1024) -> dict[str, float]:
        """Objective terms on a fixed slice of the validation split (eval mode, augmentations drawn with the
        config's ``validation_seed`` every time, so epochs are compared on the same views)."""
        self.model.eval()
        saved_state = self.augment_generator.get_state()
        self.augment_generator.manual_seed(self.config.validation_seed)
        sums = torch.zeros(len(TERMS) + 1, device=self.device)
        count = 0
        limit = min(len(self.val_x), max_sequences)
        batch = self.config.batch_size
        for start in range(0, limit - limit % 2, batch):
            x = as_float(self.val_x[start:start + batch])
            if len(x) < 2:
                break
            clips = torch.arange(start, start + len(x), device=self.device)
            loss, terms = self._loss(self.model, x, clips, "val")
            sums += torch.cat([loss.view(1), torch.stack([terms[n] for n in TERMS])]) * len(x)
            count += len(x)
        self.augment_generator.set_state(saved_state)
        self.model.train()
        values = (sums / max(count, 1)).tolist()
        return {"loss": values[0], **dict(zip(TERMS, values[1:]))}

    # --- the loop -------------------------------------------------------------------------
    def fit(self) -> TrainSummary:
        if self.dist.is_main:
            if self.folder.replaces_run:
                remove_previous_run(self.run_dir)
            self.run_dir.mkdir(parents=True, exist_ok=True)
            if self.folder.extends_from is not None:
                record_extension(self.run_dir, self.config, self.folder.extends_from)
            elif not self.resume:
                write_run_config(self.run_dir, self.config, self.dataset, str(self.device), self.precision_name,
                                 self.dist.world_size)
        stop_signal = None
        progress = progress_bar(self.progress and self.dist.is_main)
        flush = flush_denormals_on(self.device) if self.config.cpu_flush_denormal else contextlib.nullcontext(False)
        try:
            with StopFlag() as stop, progress, flush:
                task = progress.add_task("train", total=self.config.epochs * self.steps_per_epoch,
                                         completed=self.start_epoch * self.steps_per_epoch + self.start_step,
                                         epoch=self.start_epoch + 1, status="")
                for epoch in range(self.start_epoch, self.config.epochs):
                    record = self._run_epoch(epoch, stop, progress, task)
                    if record is None:
                        stop_signal = stop.signal
                        break
        finally:
            shutdown(self.dist)
        last = self.history[-1] if self.history else {}
        return TrainSummary(
            run_dir=self.run_dir, epochs_done=len(self.history), interrupted=stop_signal is not None,
            final_train=last.get("train", {}),
            final_val={**last.get("val", {}), **last.get(SWAP_RECORD, {}), **last.get(SPEAKER_RECORD, {})},
            best_epoch=self.best_epoch, best_score=self.best_score, history=self.history, stop_signal=stop_signal,
            selection=self.selection.description, notes=list(self.notes), is_main=self.dist.is_main,
        )

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        if self.epoch_generator_state is not None and epoch == self.start_epoch and self.start_step > 0:
            self.data_generator.set_state(self.epoch_generator_state)
        self.epoch_generator_state = self.data_generator.get_state()
        if self.blocks is not None:
            return self.blocks.order(self.data_generator)
        return torch.randperm(len(self.train_split), generator=self.data_generator)

    def _run_epoch(self, epoch: int, stop: StopFlag, progress: Any, task: Any) -> dict[str, Any] | None:
        order = self._epoch_order(epoch).to(self.device)
        first_step = self.start_step if epoch == self.start_epoch else 0
        sums = (self.partial_sums if first_step and self.partial_sums is not None
                else torch.zeros(len(TERMS) + 1, device=self.device))
        batch, world, rank = self.config.batch_size, self.dist.world_size, self.dist.rank
        started = time.perf_counter()
        data_time = 0.0
        log_every = max(1, self.steps_per_epoch // 20)
        self.model.train()
        for step in range(first_step, self.steps_per_epoch):
            if stop.raised:
                self._save_interrupted(epoch, step, sums)
                return None
            fetch_start = time.perf_counter()
            offset = (step * world + rank) * batch
            clips = order[offset:offset + batch]
            x = as_float(self.train_x[clips])
            data_time += time.perf_counter() - fetch_start
            loss, terms = self.train_step(x, clips, epoch + step / self.steps_per_epoch)
            sums += torch.cat([loss.view(1), terms])
            if (step + 1) % log_every == 0 or step + 1 == self.steps_per_epoch:
                mean = (sums / (step + 1)).tolist()
                if not all(math.isfinite(v) for v in mean):
                    self._stop_diverged(epoch, step)
                seqs = (step + 1 - first_step) * batch * world / (time.perf_counter() - started)
                progress.update(task, completed=epoch * self.steps_per_epoch + step + 1, epoch=epoch + 1,
                                status=f"loss {mean[0]:.1f} recon {mean[1]:.1f} {seqs:.0f} seq/s")
        elapsed = time.perf_counter() - started
        means = (sums / self.steps_per_epoch).tolist()
        record: dict[str, Any] = {
            "epoch": epoch + 1,
            "train": {"loss": means[0], **dict(zip(TERMS, means[1:]))},
            "seconds": elapsed,
            "sequences_per_second": (self.steps_per_epoch - first_step) * batch * world / elapsed,
            "data_wait_fraction": data_time / elapsed,
        }
        self.start_step = 0
        self.partial_sums = None
        if self.dist.is_main:
            self._end_of_epoch(epoch, record)
        barrier(self.dist)
        return record

    def _end_of_epoch(self, epoch: int, record: dict[str, Any]) -> None:
        eval_started = time.perf_counter()
        record["val"] = self.validate()
        last_epoch = epoch + 1 == self.config.epochs
        if (epoch + 1) % self.config.swap_eval_every == 0 or last_epoch:
            self._score_validation(record)
        record["eval_seconds"] = time.perf_counter() - eval_started
        score = self.selection.score(record)
        if score is not None and (self.best_score is None or score > self.best_score):
            self.best_score, self.best_epoch = score, epoch + 1
            record["best"] = True
        self.history.append(record)
        state = self._state(epoch + 1, 0, None)
        if record.get("best"):
            save_checkpoint(self.run_dir / "best.pt", state)
        if (epoch + 1) % self.config.checkpoint_every == 0 or last_epoch:
            save_checkpoint(self.run_dir / "last.pt", state)
        append_text(self.run_dir / "log.jsonl", json.dumps(record) + "\n")
        if self.on_epoch is not None:
            self.on_epoch(record)

    def _score_validation(self, record: dict[str, Any]) -> None:
        """The scored epoch's validation figures: swaps (video), speaker EER of both codes (speech), decodability;
        what the split cannot support is left out with a note (recorded once in the log)."""
        if self.scores_swaps:
            record[SWAP_RECORD] = validation_swaps(self.model, self.val_x, self.val_split,
                                                   self.config.swap_eval_pairs, self.config.swap_eval_seed)
        figures = []
        if self.scores_speakers:
            figures.append((SPEAKER_RECORD, validation_speaker_eer(self.model, self.val_x, self.val_split,
                                                                   self.dataset, self.config.batch_size,
                                                                   self._autocast, self.train_x,
                                                                   self.train_split)))
        figures.append(("code_usage", validation_code_usage(self.model, self.val_x, self.val_split, self.dataset,
                                                            self.config.batch_size, self._autocast, self.config.seed)))
        new_notes = []
        for key, found in figures:
            if found.values:
                record[key] = found.values
            new_notes += [note for note in found.notes if note not in self.notes]
        if new_notes:
            record["notes"] = new_notes
            self.notes += new_notes

    def _stop_diverged(self, epoch: int, step: int) -> NoReturn:
        """Raise :class:`TrainingDiverged` saying what is kept: the last checkpoint, or (when none was
        written yet) nothing, after removing the files this run wrote."""
        where = f"loss became NaN/inf at epoch {epoch + 1}, step {step + 1}: stopped"
        hint = "try a lower --lr or --precision fp32"
        last, best = self.run_dir / "last.pt", self.run_dir / "best.pt"
        if last.is_file():
            raise TrainingDiverged(f"{where}; the last good checkpoint {last} (end of epoch "
                                   f"{load_checkpoint(last)['epoch']}) is kept and resumable ({hint})")
        if best.is_file():
            raise TrainingDiverged(f"{where}; the checkpoint {best} (end of epoch {load_checkpoint(best)['epoch']}) "
                                   f"is kept; there is no last.pt to resume from ({hint})")
        if self.dist.is_main:
            remove_run_files(self.run_dir)
        raise TrainingDiverged(f"{where}; no checkpoint existed yet, so nothing was kept ({hint})")

    def _save_interrupted(self, epoch: int, step: int, sums: torch.Tensor) -> None:
        if self.dist.is_main:
            save_checkpoint(self.run_dir / "last.pt", self._state(epoch, step, sums))


def train(config: TrainConfig, run_dir: str | Path, resume: bool = False, force: bool = False,
          progress: bool = True, on_start: Callable[[Trainer], None] | None = None,
          on_epoch: Callable[[dict[str, Any]], None] | None = None) -> TrainSummary:
    """Train ``config`` into ``run_dir`` and return the summary (the Python API of ``cdsvae-eval train``).

    ``on_start`` gets the trainer once it is set up (device and precision resolved, data loaded);
    ``on_epoch`` gets each epoch's log record. Another process training into ``run_dir`` meanwhile is
    refused (:class:`~cdsvae_eval.folder_lock.FolderBusy`)."""
    # one run per folder: rank 0 holds the lock for its whole launch (the other ranks write nothing), from
    # before the folder is checked to after summary.json is written
    with folder_lock(run_dir) if launched_as_main() else contextlib.nullcontext():
        trainer = Trainer(config, run_dir, resume=resume, force=force, progress=progress, on_epoch=on_epoch)
        if on_start is not None:
            on_start(trainer)
        summary = trainer.fit()
        if summary.is_main and not summary.interrupted and Path(run_dir).is_dir():
            write_json(Path(run_dir) / "summary.json", {
                "epochs_done": summary.epochs_done, "final_train": summary.final_train,
                "final_val": summary.final_val, "best_epoch": summary.best_epoch, "best_score": summary.best_score,
                "selection": summary.selection,
                "verdict": None if summary.verdict is None else summary.verdict.label,
                "notes": summary.notes,
            })
    return summary


def swappable(dataset: SequenceDataset, split: SequenceSplit) -> bool:
    """Whether swaps can be scored on ``split``: the dataset has a dynamic motion factor and the split labels it."""
    return (MOTION_FACTOR in split.labels
            and any(factor.name == MOTION_FACTOR for factor in dataset.dynamic_factors))
