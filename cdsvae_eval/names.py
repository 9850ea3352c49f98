"""Names shared across layers: the factors the built-in datasets and tasks agree on, and the swap metrics
that the trainer logs, the ``swap-oracle`` task reports, and the verdict, curves and pages read."""

from __future__ import annotations

# Factors
MOTION_FACTOR = "motion"
SPEAKER_FACTOR = "speaker"
PHONE_FACTOR = "phone"

# Swap metrics (models.swaps.SwapScore.as_dict writes them; everything else reads them by these names)
SWAP_MOTION_ACC = "swap_motion_acc"
SWAP_IDENTITY_ACC = "swap_identity_acc"
SWAP_MOTION_CHANCE = "swap_motion_chance"
SWAP_IDENTITY_CHANCE = "swap_identity_chance"
SWAP_REL_ERROR = "swap_rel_error"

# Speaker-verification metrics (percent): the speaker-eer task reports them, the trainer logs them on validation
EER_STATIC = "eer_static"
EER_DYNAMIC = "eer_dynamic"
