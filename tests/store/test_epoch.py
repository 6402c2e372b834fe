"""The Seq epoch (IMAP's UIDVALIDITY): kept with a database, new with a new one."""

from __future__ import annotations

from pathlib import Path

from mailsink.store.epoch import seq_epoch


def test_an_existing_database_keeps_its_epoch(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    first = seq_epoch(database)  # the file does not exist yet: a new epoch, kept beside it
    database.write_bytes(b"")  # the store creates it
    assert seq_epoch(database) == first
    assert (tmp_path / "mail.db.epoch").read_text().strip() == str(first)


def test_a_new_database_gets_a_new_epoch_even_beside_an_old_one(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    first = seq_epoch(database)
    # The database was removed (its Seqs will start at 1 again) but the epoch file stayed.
    assert seq_epoch(database) != first


def test_a_damaged_epoch_file_is_replaced(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    database.write_bytes(b"")
    (tmp_path / "mail.db.epoch").write_text("garbage")
    epoch = seq_epoch(database)
    assert 0 < epoch < 2**31
    assert seq_epoch(database) == epoch


def test_memory_stores_get_a_fresh_epoch_each_time() -> None:
    assert 0 < seq_epoch(None) < 2**31
