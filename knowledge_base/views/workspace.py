"""Knowledge base in the agents' workspace: every agent reads every article (internal ones
too); managers and admins write them. And the agents' one search page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.inbox.views import staff_required
from helpdesk.tickets.models import Direction, MessageKind
from helpdesk.tickets.selectors import tickets_visible_to
from knowledge_base.forms import ArticleForm, CategoryForm
from knowledge_base.models import Article, Category
from knowledge_base.search import article_search_hits
from knowledge_base.search.agent import agent_search
from knowledge_base.selectors import (
    article_history,
    article_translations,
    article_votes,
    can_edit_articles,
)
from knowledge_base.services import (
    article_create,
    article_update,
    markdown_render,
)

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _editor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _require_editor(request: HttpRequest) -> None:
    if not can_edit_articles(request.user):
        raise PermissionDenied


@staff_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "")[:200]
    results = agent_search(user=request.user, query=query) if query.strip() else None
    # ``partial``: only the results, for the page's search as you type.
    template = "_search_results.html" if request.GET.get("partial") else "search.html"
    return render(request, f"knowledge_base/{template}", {"query": query, "results": results})


@staff_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("language", "")
    articles = Article.objects.select_related("category").annotate(
        helpful=Count("votes", filter=Q(votes__helpful=True)),
        unhelpful=Count("votes", filter=Q(votes__helpful=False)),
    )
    if language in LANGUAGE_CODES:
        articles = articles.filter(language=language)
    articles = articles.order_by("category__position", "category__name", "position", "language")
    return render(
        request,
        "knowledge_base/articles.html",
        {
            "articles": articles,
            "language": language,
            "can_edit": can_edit_articles(request.user),
            "categories": Category.objects.all(),
        },
    )


@staff_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("category", "updated_by"), pk=pk)
    return render(
        request,
        "knowledge_base/article.html",
        {
            "article": article,
            "translations": article_translations(article=article, public=False),
            "votes": article_votes(article=article),
            "can_edit": can_edit_articles(request.user),
            "history": article_history(article=article),
            "languages": LANGUAGE_CODES,
        },
    )


@staff_required
def article_new(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    source = None
    if request.GET.get("translation_of", "").isdigit():
        source = Article.objects.filter(pk=int(request.GET["translation_of"])).first()
    key = source.translation_key if source else ""
    if request.method == "POST":
        form = ArticleForm(request.POST, translation_key=key)
        if form.is_valid() and "preview" not in request.POST:
            article = article_create(
                editor=_editor(request), translation_of=source, **form.cleaned_data
            )
            messages.success(request, _("Article saved."))
            return redirect("kb:article_detail", article.pk)
    else:
        initial: dict[str, object] = {"language": request.GET.get("language") or LANGUAGE_CODES[0]}
        if source:
            initial = {
                "language": next((c for c in LANGUAGE_CODES if c != source.language), ""),
                "category": source.category_id,
                "position": source.position,
                "internal": source.internal,
            }
        form = ArticleForm(initial=initial, translation_key=key)
    return _edit_page(request, form, None, source)


@staff_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    article = get_object_or_404(Article, pk=pk)
    if request.method == "POST":
        form = ArticleForm(request.POST, instance=Article.objects.get(pk=pk))
        if form.is_valid() and "preview" not in request.POST:
            article_update(article=article, editor=_editor(request), **form.cleaned_data)
            messages.success(request, _("Article saved."))
            return redirect("kb:article_detail", article.pk)
    else:
        form = ArticleForm(instance=article)
    return _edit_page(request, form, article, None)


def _edit_page(request, form, article, source):
    body = form.data.get("body") if form.is_bound else (article.body if article else "")
    return render(
        request,
        "knowledge_base/article_form.html",
        {
            "form": form,
            "article": article,
            "source": source,
            "preview": markdown_render(text=body or ""),
        },
    )


@staff_required
@require_POST
def article_preview(request: HttpRequest) -> JsonResponse:
    _require_editor(request)
    return JsonResponse({"html": markdown_render(text=request.POST.get("body", "")[:200_000])})


@staff_required
def category_list(request: HttpRequest) -> HttpResponse:
    can_edit = can_edit_articles(request.user)
    form = CategoryForm()
    if request.method == "POST":
        _require_editor(request)
        instance = None
        if request.POST.get("pk", "").isdigit():
            instance = get_object_or_404(Category, pk=int(request.POST["pk"]))
        form = CategoryForm(request.POST, instance=instance)
        if form.is_valid():
            form.save()
            messages.success(request, _("Category saved."))
            return redirect("kb:category_list")
    return render(
        request,
        "knowledge_base/categories.html",
        {"categories": Category.objects.all(), "form": form, "can_edit": can_edit},
    )


def _customer_last_message(ticket) -> str:
    message = (
        ticket.messages.filter(direction=Direction.INBOUND, kind=MessageKind.MESSAGE)
        .order_by("-created_at", "-id")
        .values_list("text", flat=True)
        .first()
    )
    return message or ticket.subject or ""


@staff_required
@require_GET
def ticket_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """Up to three articles matching the customer's last message, in the ticket's language."""
    ticket = get_object_or_404(tickets_visible_to(request.user).select_related("contact"), pk=pk)
    language = ticket.language or ticket.contact.language or LANGUAGE_CODES[0]
    if language not in LANGUAGE_CODES:
        language = LANGUAGE_CODES[0]
    hits = article_search_hits(
        query=_customer_last_message(ticket), language=language, limit=3, audience="public"
    )
    return render(
        request,
        "knowledge_base/_ticket_suggestions.html",
        {"hits": hits, "public_url": settings.PUBLIC_URL, "ticket": ticket},
    )
