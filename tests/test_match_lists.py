"""Known-hash lists (`sparkhash match LIST.csv LAKE OUT`): a CSV that cannot be a list of the
algorithm's hashes is refused in one line, exit code 2, before Spark starts (the lake does not
even exist here: a command that got as far as reading it would say so instead)."""

from __future__ import annotations

import pytest
from spark_helpers import refused

from sparkhash.dedup.match import MatchConfig, check_query
from sparkhash.errors import QueryError

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@pytest.mark.parametrize(
    "text, options, message",
    [
        ("id,tags\n1,x\n", [], "no hash column (pdq or hash; columns: id, tags)"),
        ("hash,tags\n" + PDQ + ",x\n", [], "no id column (id, query, path; columns: hash, tags)"),
        ("id,hash\n1," + PDQ + "\n2,not-hex\n", [], "line 3: 'not-hex' in column hash is not a hex hash"),
        (
            "id,hash\n1," + PDQ + "\n2," + PDQ[:16] + "\n",
            [],
            "hashes of 64 hex digits (line 2) and of 16 (line 3)",
        ),
        ("id,hash\n1," + PDQ[:16] + "\n", [], "pdq hashes have 64 hex digits, the list's have 16 (line 2)"),
        (
            "id,signal\n1," + PDQ + "\n",
            ["--hash-column", "hash"],
            "no hash column (hash; columns: id, signal)",
        ),
        ("", [], "empty CSV"),
    ],
)
def test_a_bad_list_is_refused_before_spark(capsys, tmp_path, text, options, message):
    listed = tmp_path / "list.csv"
    listed.write_text(text)
    argv = ["match", str(listed), str(tmp_path / "no-lake"), str(tmp_path / "out"), "--algorithm", "pdq"]
    line = refused(capsys, [*argv, *options])
    assert message in line, line
    assert not (tmp_path / "out").exists()


def test_a_good_list_passes_and_blank_hashes_are_skipped(tmp_path):
    listed = tmp_path / "list.csv"
    listed.write_text(f"id,hash,source\n1,{PDQ.upper()},te\n2,,te\n3, {PDQ} ,te\n")
    check_query(str(listed), MatchConfig("pdq"))
    check_query(str(listed), MatchConfig("pdq_dihedral"))
    # phash's width follows its hash size: checked against the lake's when the list is read
    check_query(str(listed), MatchConfig("phash"))
    with pytest.raises(QueryError, match="no hash column"):
        check_query(str(listed), MatchConfig("pdq", hash_column="pdq"))
