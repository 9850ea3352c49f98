"""C-DSVAE: the shared latent core, modality-specific frame encoders/decoders, and the training losses."""
