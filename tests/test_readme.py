"""The README's table of integrations is generated from the list of integrations; a stale one
(an integration added, a key or image changed without `scripts/readme`) fails here."""

from __future__ import annotations

from harness.readme import README, rendered


def test_the_integrations_table_is_generated_from_the_list():
    text = README.read_text()
    assert rendered(text) == text, "README.md's integrations table is stale: run scripts/readme"
