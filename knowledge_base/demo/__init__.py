"""The demo shop's help centre: categories and articles in English and French, loaded by
``seed_demo``. Idempotent: a second load updates the same rows."""

from __future__ import annotations

from django.db import transaction

from knowledge_base.demo.articles import ARTICLES, CATEGORIES
from knowledge_base.models import Article, Category
from knowledge_base.services import markdown_render


@transaction.atomic
def load_demo_articles() -> int:
    categories = {}
    for position, (slug, name, name_fr) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_fr": name_fr, "position": position}
        )
    count = 0
    for position, entry in enumerate(ARTICLES):
        for language in ("en", "fr"):
            slug, title, summary, body = entry[language]
            Article.objects.update_or_create(
                translation_key=entry["key"],
                language=language,
                defaults={
                    "category": categories[entry["category"]],
                    "slug": slug,
                    "title": title,
                    "summary": summary,
                    "body": body.strip(),
                    "body_html": markdown_render(text=body.strip()),
                    "published": True,
                    "internal": entry.get("internal", False),
                    "position": position,
                },
            )
            count += 1
    return count
