from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _new_translation_key() -> str:
    return uuid.uuid4().hex


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100)
    name_fr = models.CharField(_("name in French"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        """The category's name in ``language`` (English when no translation is given)."""
        if language == "fr" and self.name_fr:
            return self.name_fr
        return self.name


class Article(models.Model):
    """One article in one language. Its translations share ``translation_key``."""

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("category"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    slug = models.SlugField(_("slug"), max_length=150)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences shown in results and to search engines."),
    )
    body = models.TextField(_("body"), help_text=_("Markdown."))
    body_html = models.TextField(_("rendered body"), blank=True, editable=False)
    published = models.BooleanField(_("published"), default=False)
    internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Shown to agents only, never in the help centre.")
    )
    position = models.PositiveIntegerField(_("display order"), default=0)
    translation_key = models.CharField(
        _("translation group"), max_length=64, default=_new_translation_key, db_index=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last edited by"),
    )

    class Meta:
        ordering = ["category__position", "position", "title"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="article_unique_slug"),
            models.UniqueConstraint(
                fields=["translation_key", "language"], name="article_one_translation_per_language"
            ),
        ]
        indexes = [models.Index(fields=["language", "published", "internal"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/help/{self.language}/{self.slug}/"

    @property
    def is_public(self) -> bool:
        return self.published and not self.internal


class ArticleRevision(models.Model):
    """The text an article had before one edit, and who made the edit."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("edited by"),
    )
    created_at = models.DateTimeField(_("edited"), auto_now_add=True)
    title = models.CharField(_("previous title"), max_length=200)
    summary = models.CharField(_("previous summary"), max_length=300, blank=True)
    body = models.TextField(_("previous body"))
    published = models.BooleanField(_("was published"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")

    def __str__(self) -> str:
        return f"{self.title} ({self.created_at:%Y-%m-%d %H:%M})"


class ArticleVote(models.Model):
    """'Was this helpful?': one vote per visitor per article (a later vote changes it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    visitor = models.CharField(_("visitor"), max_length=64)
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("voted"), auto_now=True)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "visitor"], name="article_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"
