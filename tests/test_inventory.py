from liushou_analysis.readers.inventory import raw_inventory, summarise_inventory


def test_inventory_lists_every_term_file_and_skips_truth(sample_dir):
    inv = raw_inventory(sample_dir)
    on_disk = [p for p in sample_dir.glob("20*/**/*") if p.is_file()]
    assert len(inv) == len(on_disk)
    assert not inv.file.str.startswith("_truth").any()
    assert set(inv.format) == {"xlsx", "csv", "xls", "skipped"}  # office-kept schools: .xls exports and litter
    assert inv.sha256.str.len().eq(64).all()
    summary = summarise_inventory(inv)
    assert summary.files.sum() == len(inv)


def test_unsupported_files_and_litter_are_marked(tmp_path):
    (tmp_path / "2023-2024-1").mkdir()
    (tmp_path / "2023-2024-1" / "scores.pdf").write_bytes(b"%PDF")
    (tmp_path / "2023-2024-1" / "scores.ods").write_bytes(b"PK")
    (tmp_path / "2023-2024-1" / "Thumbs.db").write_bytes(b"\0")
    inv = raw_inventory(tmp_path)
    assert dict(zip(inv.file.str[12:], inv.format)) == {"Thumbs.db": "skipped", "scores.ods": "unsupported",
                                                        "scores.pdf": "skipped"}
