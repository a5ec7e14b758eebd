"""The README's table of integrations and the runbook index's table of their alerts are
generated from the list of integrations; a stale one (an integration or alert added, a key or
image changed without `scripts/readme`) fails here."""

from __future__ import annotations

from harness.readme import README, RUNBOOKS, rendered, rendered_runbooks


def test_the_integrations_table_is_generated_from_the_list():
    text = README.read_text()
    assert rendered(text) == text, "README.md's integrations table is stale: run scripts/readme"


def test_the_runbook_index_lists_every_integration_alert():
    text = RUNBOOKS.read_text()
    assert rendered_runbooks(text) == text, "docs/runbooks/README.md's integrations table is stale: run scripts/readme"
