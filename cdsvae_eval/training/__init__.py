"""Training: the trainer loop, checkpoints, resume and distributed data parallel."""
