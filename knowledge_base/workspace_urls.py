from django.urls import path

from knowledge_base.views import workspace

app_name = "kb"

urlpatterns = [
    path("search/", workspace.search_page, name="search"),
    path("kb/", workspace.article_list, name="article_list"),
    path("kb/new/", workspace.article_new, name="article_new"),
    path("kb/preview/", workspace.article_preview, name="article_preview"),
    path("kb/categories/", workspace.category_list, name="category_list"),
    path("kb/<int:pk>/", workspace.article_detail, name="article_detail"),
    path("kb/<int:pk>/edit/", workspace.article_edit, name="article_edit"),
    path(
        "kb/suggestions/ticket/<int:pk>/",
        workspace.ticket_suggestions,
        name="ticket_suggestions",
    ),
]
