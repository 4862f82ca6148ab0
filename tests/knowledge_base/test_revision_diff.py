"""The revision history shows what each edit changed: a line diff of the text, escaped, and
the title, summary and publication changes."""

from __future__ import annotations

import pytest

from helpdesk.accounts.models import Role
from knowledge_base.models import Article
from knowledge_base.selectors import article_history, text_diff
from knowledge_base.services import article_create, article_update
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_text_diff_marks_added_removed_and_gaps():
    before = "\n".join(f"line {i}" for i in range(1, 11))
    after = before.replace("line 2", "line two").replace("line 9\n", "")
    kinds = [(d.kind, d.text) for d in text_diff(before, after, context=1)]
    assert ("removed", "line 2") in kinds and ("added", "line two") in kinds
    assert ("removed", "line 9") in kinds and ("gap", "…") in kinds
    assert ("same", "line 5") not in kinds  # far from any change
    assert text_diff("same\ntext", "same\ntext") == []


def test_each_edit_is_compared_with_the_text_after_it():
    mona = AgentFactory(username="mona", profile__role=Role.MANAGER)
    paul = AgentFactory(username="paul", profile__role=Role.MANAGER)
    article = article_create(
        editor=mona, title="Returns", slug="returns", language="en", body="One.\nTwo.",
        published=True,
    )  # fmt: skip
    article_update(article=article, editor=mona, body="One.\nTwo!\nThree.")
    article_update(article=Article.objects.get(pk=article.pk), editor=paul, title="Returning")
    article.refresh_from_db()
    latest, first = article_history(article=article)
    assert latest.revision.editor == paul
    assert (latest.title_before, latest.title_after) == ("Returns", "Returning")
    assert not latest.body_changed
    assert first.revision.editor == mona and first.title_before == first.title_after
    assert [(d.kind, d.text) for d in first.lines] == [
        ("same", "One."),
        ("removed", "Two."),
        ("added", "Two!"),
        ("added", "Three."),
    ]


def test_the_article_page_shows_the_changes_escaped(client):
    mona = AgentFactory(username="mona", profile__role=Role.MANAGER)
    article = article_create(
        editor=mona, title="Gift wrapping", slug="gift-wrapping", language="en",
        body="We wrap **any** item.\nFor 3 EUR.", published=True,
    )  # fmt: skip
    article_update(
        article=article, editor=mona, body="We wrap <b>most</b> items.\nFor 3 EUR.",
        published=False,
    )  # fmt: skip
    client.force_login(AgentFactory(username="rosa"))  # agents read the history too
    page = client.get(f"/kb/{article.pk}/").content.decode()
    assert "<del>- We wrap **any** item.</del>" in page
    assert "<ins>+ We wrap &lt;b&gt;most&lt;/b&gt; items.</ins>" in page
    assert "<b>most</b>" not in page
    assert "<span>  For 3 EUR.</span>" in page
    assert "Unpublished by this edit (back to draft)." in page
    mona.agent_profile.language = "fr"
    mona.agent_profile.save()
    client.force_login(mona)
    page = client.get(f"/kb/{article.pk}/").content.decode()
    assert "Dépublié par cette modification (retour au brouillon)." in page
