"""Extracted codes carry each row's identity, and the code file keeps it."""

from __future__ import annotations

import numpy as np

from cdsvae_eval.codes import extract_codes, load_codes, save_codes


def test_extracted_codes_carry_the_identity_of_every_row_through_a_code_file(trained_smoke_run, tmp_path) -> None:
    model, dataset = trained_smoke_run()
    codes = extract_codes(model, dataset, ("train", "test"), batch_size=64)
    expected = np.concatenate([dataset.split(name).identity for name in ("train", "test")]).astype(str)
    np.testing.assert_array_equal(codes.identity, expected)
    assert codes.meta["identity"] == "character"
    save_codes(codes, tmp_path / "codes.npz")
    loaded = load_codes(tmp_path / "codes.npz")
    np.testing.assert_array_equal(loaded.identity, expected)
    np.testing.assert_array_equal(loaded.of_split("test").identity, dataset.split("test").identity.astype(str))
