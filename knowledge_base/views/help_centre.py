"""The public help centre at /help/: server-rendered pages in the visitor's language, a
search that works without JavaScript, a JSON search for search-as-you-type and the chat
widget, votes, and the sitemap."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from knowledge_base.models import Article
from knowledge_base.search import article_search_hits
from knowledge_base.selectors import (
    article_public_get,
    article_translations,
    articles_public,
    categories_with_articles,
)
from knowledge_base.services import article_vote

VISITOR_COOKIE = "helpdesk_visitor"
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
MAX_Q = 200


def _language(request: HttpRequest, requested: str | None = None) -> str:
    if requested in LANGUAGE_CODES:
        return str(requested)
    browser = translation.get_language_from_request(request)
    return browser if browser in LANGUAGE_CODES else LANGUAGE_CODES[0]


def _absolute(path: str) -> str:
    return settings.PUBLIC_URL + path


def _page(request, template, language, context, *, alternates=None):
    """Render in ``language`` with the SEO context every page shares: canonical address,
    hreflang alternates, and the language switcher (to the same page in the other language,
    or that language's home when there is no translation)."""
    homes = {code: reverse("help:home", args=[code]) for code in LANGUAGE_CODES}
    alternates = homes if alternates is None else alternates
    context = {
        "language": language,
        "languages": [
            (
                code,
                str(translation.get_language_info(code)["name_local"]).capitalize(),
                alternates.get(code) or homes[code],
            )
            for code in LANGUAGE_CODES
        ],
        "hreflang": [(code, _absolute(path)) for code, path in alternates.items()],
        "canonical": _absolute(request.path),
        "x_default": _absolute(reverse("help:root")),
        **context,
    }
    with translation.override(language):
        response = render(request, template, context)
    response["Content-Language"] = language
    return response


@require_GET
def help_root(request: HttpRequest) -> HttpResponse:
    response = redirect("help:home", _language(request))
    response["Vary"] = "Accept-Language, Cookie"
    return response


@require_GET
@cache_control(max_age=60)
def help_home(request: HttpRequest, language: str) -> HttpResponse:
    if language not in LANGUAGE_CODES:
        raise Http404
    return _page(
        request,
        "knowledge_base/help/home.html",
        language,
        {"categories": categories_with_articles(language=language)},
    )


@require_GET
def help_article(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    if language not in LANGUAGE_CODES:
        raise Http404
    article = article_public_get(language=language, slug=slug)
    if article is None:
        raise Http404
    translations = article_translations(article=article)
    alternates = {code: a.get_absolute_url() for code, a in translations.items()}
    related = (
        articles_public(language=language)
        .filter(category=article.category_id)
        .exclude(pk=article.pk)
        .order_by("position")[:5]
        if article.category_id
        else []
    )
    return _page(
        request,
        "knowledge_base/help/article.html",
        language,
        {
            "article": article,
            "related": related,
            "voted": request.GET.get("voted", "") in {"yes", "no"},
            "category_label": article.category.label(language) if article.category else "",
        },
        alternates=alternates,
    )


def _query(request: HttpRequest) -> str:
    return (request.GET.get("q") or "")[:MAX_Q]


@require_GET
def help_search(request: HttpRequest) -> HttpResponse:
    """Results without JavaScript: /help/search/?q=...&lang=fr."""
    language = _language(request, request.GET.get("lang"))
    query = _query(request)
    hits = article_search_hits(query=query, language=language, limit=20) if query else []
    alternates = {
        code: reverse("help:search") + "?" + urlencode({"q": query, "lang": code})
        for code in LANGUAGE_CODES
    }
    response = _page(
        request,
        "knowledge_base/help/search.html",
        language,
        {"query": query, "hits": hits, "noindex": True},
        alternates=alternates,
    )
    return response


@require_GET
def help_search_json(request: HttpRequest) -> JsonResponse:
    """Search as you type, and the chat widget (any origin may call it: public articles)."""
    language = _language(request, request.GET.get("lang"))
    try:
        limit = max(1, min(int(request.GET.get("limit", "6")), 10))
    except ValueError:
        return JsonResponse({"error": "limit must be a number"}, status=400)
    query = _query(request)
    hits = article_search_hits(query=query, language=language, limit=limit, prefix=True)
    response = JsonResponse(
        {
            "query": query,
            "language": language,
            "results": [
                {
                    "title": h.title,
                    "url": _absolute(h.url),
                    "path": h.url,
                    "snippet": h.snippet,
                }
                for h in hits
            ],
            "search_url": _absolute(
                reverse("help:search") + "?" + urlencode({"q": query, "lang": language})
            ),
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=30"
    return response


def _visitor(request: HttpRequest) -> tuple[str, str | None]:
    """A stable anonymous id for this browser (hashed before it is stored)."""
    token = request.COOKIES.get(VISITOR_COOKIE, "")
    new = None
    if not (16 <= len(token) <= 64 and token.isalnum()):
        token = new = secrets.token_hex(16)
    return hashlib.sha256(token.encode()).hexdigest(), new


@require_POST
def help_vote(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    article = (
        article_public_get(language=language, slug=slug) if language in LANGUAGE_CODES else None
    )
    if article is None:
        raise Http404
    value = request.POST.get("helpful", "")
    if value not in {"yes", "no"}:
        return HttpResponseBadRequest("helpful must be 'yes' or 'no'")
    visitor, new = _visitor(request)
    article_vote(article=article, visitor=visitor, helpful=value == "yes")
    if request.headers.get("Accept", "").startswith("application/json"):
        response: HttpResponse = JsonResponse({"ok": True, "helpful": value == "yes"})
    else:
        response = redirect(article.get_absolute_url() + f"?voted={value}#vote")
    if new:
        response.set_cookie(
            VISITOR_COOKIE,
            new,
            max_age=2 * 365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@require_GET
@cache_control(max_age=3600)
def help_sitemap(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.filter(published=True, internal=False).order_by(
        "language", "position"
    )
    groups: dict[str, dict[str, Article]] = {}
    for article in articles:
        groups.setdefault(article.translation_key, {})[article.language] = article
    entries = []
    for code in LANGUAGE_CODES:
        entries.append(
            {
                "loc": _absolute(reverse("help:home", args=[code])),
                "lastmod": None,
                "alternates": [
                    (other, _absolute(reverse("help:home", args=[other])))
                    for other in LANGUAGE_CODES
                ],
            }
        )
    for article in articles:
        entries.append(
            {
                "loc": _absolute(article.get_absolute_url()),
                "lastmod": article.updated_at.date().isoformat(),
                "alternates": [
                    (code, _absolute(a.get_absolute_url()))
                    for code, a in sorted(groups[article.translation_key].items())
                ],
            }
        )
    xml = render_to_string("knowledge_base/help/sitemap.xml", {"entries": entries})
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")
