"""The plugin's exact selection by claim id (end-to-end runs: test_audit.py)."""

from __future__ import annotations

from verify.plugin import unknown_ids_message

KNOWN = ["BL22-C2", "BL22-C2-beta", "BL22-C3", "BL22-C3-lpp", "BL22-C3-lpp-regular"]


def test_unknown_id_names_ids_that_start_alike_then_spelt_alike():
    message = unknown_ids_message(["BL22-C3-lp", "bl22-c2"], KNOWN)
    assert message.startswith("unknown claim ids 'BL22-C3-lp' (close: BL22-C3-lpp, "
                              "BL22-C3-lpp-regular, BL22-C3); 'bl22-c2'")
    assert "'bl22-c2' (close: BL22-C2, BL22-C2-beta)" in message
    assert "matched exactly" in message


def test_unknown_id_without_close_ids():
    assert "'GA23-T9';" not in unknown_ids_message(["GA23-T9"], KNOWN)
    assert unknown_ids_message(["GA23-T9"], KNOWN).startswith("unknown claim id 'GA23-T9':")
