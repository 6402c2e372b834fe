"""The rules file: what it accepts, and a clear error naming the rule and line for what not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailsink.mailboxes.names import is_mailbox_name
from mailsink.mailboxes.rules import (
    Looks,
    MailboxLimits,
    MailboxRulesError,
    load_mailbox_rules,
    parse_mailbox_rules,
)


def test_a_full_file_is_read_in_order() -> None:
    rules = parse_mailbox_rules(
        """
default = "other"

[[rule]]
rcpt = "*@team-a.test"
mailbox = "team-a"

[[rule]]
header = "X-Team"
regex = '^(?P<team>[a-z]+)$'
mailbox = "team-{team}"

[mailbox.team-a]
max = 500
max_age = "7d"
"""
    )
    assert rules.default == "other"
    assert [r.mailbox for r in rules.rules] == ["team-a", "team-{team}"]
    assert rules.rules[0].conditions[0].looks is Looks.RCPT
    assert rules.rules[0].per_recipient
    assert not rules.rules[1].per_recipient
    assert rules.limits == {"team-a": MailboxLimits(500, 7 * 86400)}
    assert rules.named_mailboxes() == ["other", "team-a"]


def test_an_empty_file_files_everything_in_default() -> None:
    rules = parse_mailbox_rules("")
    assert (rules.rules, rules.default) == ((), "default")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[rule]]\nrcpt = "a@x"\n', r"rule 1 \(line 1\): a rule needs mailbox = NAME"),
        (
            '[[rule]]\nrcpt = "a@x"\nmailbox = "a"\n\n[[rule]]\nrcpt_to = "b@x"\nmailbox = "b"\n',
            r"rule 2 \(line 5\): unknown key 'rcpt_to'; expected one of auth_user, .*rcpt,",
        ),
        ('[[rule]]\nmailbox = "a"\n', r"rule 1 \(line 1\): a rule needs at least one condition"),
        (
            '[[rule]]\nrcpt = "*@x"\nmailbox = "team a"\n',
            r"rule 1 \(line 1\): mailbox 'team a': a mailbox name is 1 to 64 letters",
        ),
        (
            '[[rule]]\nrcpt = "*@x"\nmailbox = "{2}"\n',
            r"mailbox '\{2\}': unknown capture \{2\}; this rule has \{1\} to \{1\}",
        ),
        (
            '[[rule]]\nrcpt_regex = "(a"\nmailbox = "x"\n',
            r"rule 1 \(line 1\): rcpt_regex: not a valid regular expression",
        ),
        ('[[rule]]\nrcpt = 5\nmailbox = "x"\n', r"rcpt: expected a string, got 5"),
        ('[[rule]]\nvalue = "a"\nmailbox = "x"\n', r"value needs a header = NAME"),
        ('[[rule]]\nheader = "X-A"\nvalue = "a"\nregex = "b"\nmailbox = "x"\n', r"not both"),
        ('default = "a/b"\n', r"default: expected a mailbox name of 1 to 64"),
        ("rules = []\n", r"unknown top-level key 'rules'"),
        ("[[rule]\n", r"not valid TOML: .*line 1"),
        ("[mailbox.a]\nmax = -1\n", r"\[mailbox.a\]: max: expected a count of 0 or more"),
        ('[mailbox.a]\nmax_age = "soon"\n', r"\[mailbox.a\]: expected a duration"),
        ("[mailbox.a]\nkeep = 1\n", r"\[mailbox.a\]: unknown key 'keep'"),
        ('[mailbox."a b"]\nmax = 1\n', r"\[mailbox.a b\]: expected a mailbox name"),
    ],
)
def test_a_bad_file_is_refused_naming_rule_and_line(text: str, expected: str) -> None:
    with pytest.raises(MailboxRulesError, match=expected):
        parse_mailbox_rules(text, "rules.toml")


def test_the_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nrcpt = "a@x"\n')
    with pytest.raises(MailboxRulesError, match=f"^{path}: rule 1"):
        load_mailbox_rules(path)
    with pytest.raises(MailboxRulesError, match="cannot read mailbox rules"):
        load_mailbox_rules(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("default", True),
        ("Team-A_1.x", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("a b", False),
        ("../x", False),
        ("é", False),
        ("a\n", False),
    ],
)
def test_mailbox_names(name: str, valid: bool) -> None:
    assert is_mailbox_name(name) is valid


def test_the_readme_rules_example_is_a_valid_rules_file() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    rules = parse_mailbox_rules(block, "README.md")
    assert [r.mailbox for r in rules.rules] == ["team-a", "team-b"]
    assert rules.limits == {"team-b": MailboxLimits(500, 0)}
