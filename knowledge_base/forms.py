from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from knowledge_base.models import Article, Category


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = [
            "title",
            "slug",
            "language",
            "category",
            "summary",
            "body",
            "published",
            "internal",
            "position",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 18, "data-preview": "1"}),
            "summary": forms.TextInput(),
        }
        labels = {"published": _("Published (otherwise a draft)")}

    def __init__(self, *args, translation_key: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.translation_key = translation_key

    def clean(self):
        data = super().clean()
        key = self.translation_key or (self.instance.translation_key if self.instance.pk else "")
        language = data.get("language")
        if key and language:
            taken = Article.objects.filter(translation_key=key, language=language).exclude(
                pk=self.instance.pk
            )
            if taken.exists():
                self.add_error(
                    "language", _("This article already has a version in this language.")
                )
        return data


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "name_fr", "slug", "position"]
